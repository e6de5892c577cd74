"""Install mode over the real backend (installer.runs' files), with this test playing
the deployment's worker: it writes run.json and events.jsonl as the worker does."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from installer.events import RunFinished
from installer.runs import RUNNING, create
from tests.integration.tui_install.conftest import (
    FakeChecker,
    FakeClock,
    HostApp,
    install_screen,
    recorded,
    wait_for,
)
from tui.install.app import InstallMode
from tui.install.backend import RunsBackend

REPO = Path(__file__).resolve().parents[3]  # the checkout

pytestmark = pytest.mark.anyio


async def test_reattaches_to_a_run_in_the_runs_directory(tmp_path: Path) -> None:
    inventory = Path(shutil.copy(REPO / "inventory" / "all-in-one.yml", tmp_path / "aio.yml"))
    base = tmp_path / "runs"
    run = create("deploy", inventory, base=base)
    info = run.info()
    info.status, info.pid = RUNNING, os.getpid()  # "the worker": alive, this process
    run.save(info)
    events = recorded("first-deploy")
    for event in events[:30]:
        run.append(event)
    app = HostApp(lambda: InstallMode(backend=RunsBackend(base, poll=0.02),
                                      checker=FakeChecker(), clock=FakeClock()))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = install_screen(pilot)
        await wait_for(pilot, lambda: screen.current == "deploy", "the deploy step")
        step = screen.step()
        await wait_for(pilot, lambda: len(getattr(step, "seen", [])) == 30, "30 events")
        assert screen.state.inventory_path == inventory.resolve()
        assert screen.state.mode == "aio"
        for event in events[30:]:  # the worker goes on, then records its outcome
            run.append(event)
        assert isinstance(events[-1], RunFinished)
        info = run.info()
        info.status, info.rc = "successful", 0
        run.save(info)
        await wait_for(pilot, lambda: screen.current == "summary", "the summary")
        assert len(getattr(step, "seen", [])) == len(events)
