"""Preflight failures with their fix, the deploy failure panel, retry and reattach."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Button, DataTable, Log, ProgressBar, Static

from installer.runs import RUNNING
from tests.integration.tui_install.conftest import (
    FakeChecker,
    FakeClock,
    HostApp,
    backend_for,
    install_screen,
    wait_for,
)
from tui.install.app import InstallMode
from tui.install.panels import FailurePanel, LogScreen
from tui.install.replay import ReplayBackend

pytestmark = pytest.mark.anyio


def text_of(screen: Screen[Any], selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def to_preflight(pilot: Pilot[None], screen: InstallMode) -> None:
    """All-in-one, straight through to the preflight (keyboard only)."""
    for _ in range(5):
        await pilot.press("ctrl+n")
    await wait_for(pilot, lambda: screen.current == "preflight", "the preflight step")


async def test_a_failed_preflight_shows_the_fix_and_runs_again(
        runs: dict[str, Path]) -> None:
    backend = backend_for(runs, preflight=["preflight-failed", "preflight-ok"])
    app = HostApp(lambda: InstallMode(backend=backend, checker=FakeChecker(),
                                      clock=FakeClock()))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = install_screen(pilot)
        await to_preflight(pilot, screen)
        step = screen.step()
        await wait_for(pilot, lambda: "checks failed" in text_of(screen,
                                                                  "#preflight-status"))
        checks = text_of(screen, "#checks")
        assert "✗ aio  Enough memory" in checks
        assert "found 512 MB, need 1536 MB" in checks
        assert "Fix: give the host more memory." in checks
        assert screen.query_one("#next", Button).disabled
        await pilot.press("ctrl+n")  # refused: nothing deploys past a failed preflight
        assert screen.current == "preflight"
        await pilot.press("r")
        await wait_for(pilot, lambda: step.can_leave(), "the second preflight passed")
        assert "All 14 checks passed" in text_of(screen, "#preflight-status")
        assert not screen.query_one("#next", Button).disabled
    assert [a for a, _ in backend.started] == ["preflight", "preflight"]


async def test_a_failed_deploy_keeps_its_panel_until_dismissed(
        runs: dict[str, Path]) -> None:
    backend = backend_for(runs, deploy=["failed-deploy", "rerun-deploy"])
    app = HostApp(lambda: InstallMode(backend=backend, checker=FakeChecker(),
                                      clock=FakeClock()))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = install_screen(pilot)
        await to_preflight(pilot, screen)
        await wait_for(pilot, lambda: screen.step().can_leave(), "preflight passed")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, FailurePanel), "the panel")
        panel = app.screen
        assert "Deployment failed on aio" in text_of(panel, "#failure-title")
        assert "Stop the supervised services" in text_of(panel, "#failure-task")
        assert "One or more items failed" in text_of(panel, "#failure-message")
        assert "retry (r)" in text_of(panel, "#failure-hint")
        # The full log opens on top; closing it comes back to the same panel.
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LogScreen), "the log")
        log = app.screen.query_one("#log-text", Log)
        await wait_for(pilot, lambda: "no pidfile" in "\n".join(log.lines), "log text")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is panel, "the panel again")
        # Dismissed, the deploy step still says what happened; `f` brings it back.
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, "the deploy step")
        assert text_of(screen, "#deploy-status").startswith("failed")
        rows = screen.query_one("#deploy-hosts", DataTable)
        row = [str(c) for c in rows.get_row_at(0)[:5]]
        assert row == ["aio", "Stop the supervised services", "24", "6", "1"]
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, FailurePanel), "panel again")
        await pilot.press("r")  # retry: the deploy starts again, and resumes
        await wait_for(pilot, lambda: screen.current == "summary", "the summary")
    assert [a for a, _ in backend.started] == ["preflight", "deploy", "deploy"]


async def test_retry_from_the_deploy_step(runs: dict[str, Path]) -> None:
    backend = backend_for(runs, deploy=["failed-deploy", "rerun-deploy"])
    app = HostApp(lambda: InstallMode(backend=backend, checker=FakeChecker(),
                                      clock=FakeClock()))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = install_screen(pilot)
        await to_preflight(pilot, screen)
        await wait_for(pilot, lambda: screen.step().can_leave(), "preflight passed")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, FailurePanel), "the panel")
        await pilot.click("#failure-dismiss")
        await wait_for(pilot, lambda: app.screen is screen, "the deploy step")
        await pilot.click("#deploy-retry")
        await wait_for(pilot, lambda: screen.current == "summary", "the summary")


async def test_quit_from_the_panel_leaves_the_run_alone(runs: dict[str, Path]) -> None:
    backend = backend_for(runs, deploy=["failed-deploy"])
    app = HostApp(lambda: InstallMode(backend=backend, checker=FakeChecker(),
                                      clock=FakeClock()))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = install_screen(pilot)
        await to_preflight(pilot, screen)
        await wait_for(pilot, lambda: screen.step().can_leave(), "preflight passed")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, FailurePanel), "the panel")
        await pilot.press("q")
        await wait_for(pilot, lambda: app._exit, "the app to exit")
    assert backend.runs()[-1].status == "failed"  # recorded by the run, not the TUI


async def test_reattaches_to_a_running_deploy(runs: dict[str, Path],
                                              tmp_path: Path) -> None:
    inventory = tmp_path / "inv.yml"
    inventory.write_text((Path(__file__).parents[3] / "inventory" /
                          "all-in-one.yml").read_text())
    gate = threading.Event()
    backend = ReplayBackend(gate=gate, hold_at=60)
    backend.add_history(runs["first-deploy"], inventory=inventory)  # the estimate
    running = backend.add_history(runs["rerun-deploy"], inventory=inventory,
                                  status=RUNNING, run_id="20261123-170000-deploy")
    app = HostApp(lambda: InstallMode(backend=backend, checker=FakeChecker(),
                                      clock=FakeClock()))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = install_screen(pilot)
        await wait_for(pilot, lambda: screen.current == "deploy", "the deploy step")
        step = screen.step()
        await wait_for(pilot, lambda: len(getattr(step, "seen", [])) == 60, "60 events")
        await wait_for(pilot, lambda: not getattr(step, "redraw_pending", True), "redraw")
        assert step.run is not None and step.run.id == running.id  # type: ignore[attr-defined]
        status = text_of(screen, "#deploy-status")
        assert status.startswith("running") and "left" in status
        bar = screen.query_one("#deploy-bar", ProgressBar)
        assert bar.total == 100 and 0 < bar.progress < 100
        row = [str(c) for c in screen.query_one("#deploy-hosts", DataTable).get_row_at(0)]
        assert row[0] == "aio" and row[6] == "27/52 52%"  # results so far / expected
        assert screen.query_one("#back", Button).disabled  # no going back mid-run
        assert screen.state.inventory_path == inventory
        gate.set()
        await wait_for(pilot, lambda: screen.current == "summary", "the summary")
    assert backend.started == []  # followed, never started again


async def test_leaving_does_not_wait_for_the_run(runs: dict[str, Path]) -> None:
    gate = threading.Event()  # never opened: the deployment goes on after the TUI
    backend = ReplayBackend(gate=gate, hold_at=10)
    backend.add_history(runs["first-deploy"], status=RUNNING)
    app = HostApp(lambda: InstallMode(backend=backend, checker=FakeChecker(),
                                      clock=FakeClock()))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = install_screen(pilot)
        await wait_for(pilot, lambda: len(getattr(screen.step("deploy"), "seen", [])) == 10)
        app.exit()
    assert backend.let_go.wait(5.0), "the follower kept waiting for the run"
    assert backend.runs()[0].status == RUNNING
