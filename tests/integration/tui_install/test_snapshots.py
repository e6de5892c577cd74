"""Snapshots of the wizard's main screens at 80x24 and 120x40.

What changes from run to run is pinned: the clock is fake, $HOME is fixed (paths on
screen), cursors do not blink, runs are replays, and each screen is shot once the
condition it shows holds. Update with `pytest --snapshot-update` after a deliberate
change, and look at the SVGs before committing them.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.integration.tui_install.conftest import (
    FakeChecker,
    FakeClock,
    HostApp,
    backend_for,
    install_screen,
    wait_for,
)
from tui.install.app import InstallMode
from tui.install.panels import FailurePanel
from tui.install.replay import ReplayBackend
from tui.install.state import Host, WizardState, default_inventory_path

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
Setup = Callable[[Pilot[None], InstallMode], Awaitable[None]]


@pytest.fixture(autouse=True)
def fixed_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/operator")  # only read here: nothing is written


def several_hosts(state: WizardState) -> None:
    state.set_mode("multi")
    state.hosts = [
        Host("controller", "10.20.0.10", roles=["control", "network"], ssh="ok (Python 3.11.2)"),
        Host("compute1", "10.20.0.21", roles=["compute"], ssh="ok (Python 3.11.2)"),
        Host("storage1", "10.20.0.31", roles=["storage"],
             ssh="failed: 10.20.0.31:22: [Errno 111] Connection refused"),
    ]
    state.prune_storage()
    state.networks.management_interface = "eth0"
    state.networks.management_cidr = "10.20.0.0/24"
    state.networks.external_interface = "eth2"
    state.networks.external_cidr = "203.0.113.0/24"
    state.networks.floating_start = "203.0.113.100"
    state.networks.floating_end = "203.0.113.200"


def shoot(snap_compare: Any, size: tuple[int, int], setup: Setup,
          backend: ReplayBackend | None = None) -> bool:
    app = HostApp(lambda: InstallMode(backend=backend or ReplayBackend(),
                                      checker=FakeChecker(), clock=FakeClock()))

    async def run_before(pilot: Pilot[None]) -> None:
        screen = install_screen(pilot)
        await wait_for(pilot, lambda: screen.is_mounted and screen.current == "kind")
        await setup(pilot, screen)
        for each in pilot.app.screen_stack:
            for field in each.query(Input):
                field.cursor_blink = False
        await pilot.pause()

    return bool(snap_compare(app, terminal_size=size, run_before=run_before))


def at(step: str, multi: bool = True) -> Setup:
    async def setup(pilot: Pilot[None], screen: InstallMode) -> None:
        if multi:
            several_hosts(screen.state)
        screen.goto(step)
        await pilot.pause()
    return setup


@pytest.mark.parametrize("size", SIZES)
def test_kind(snap_compare: Any, size: tuple[int, int]) -> None:
    async def setup(pilot: Pilot[None], screen: InstallMode) -> None:
        await pilot.pause()
    assert shoot(snap_compare, size, setup)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("step", ["hosts", "roles", "networks", "storage", "services",
                                  "review"])
def test_multi_host_steps(snap_compare: Any, size: tuple[int, int], step: str) -> None:
    assert shoot(snap_compare, size, at(step))


@pytest.mark.parametrize("size", SIZES)
def test_preflight_failed(snap_compare: Any, size: tuple[int, int],
                          runs: dict[str, Path]) -> None:
    async def setup(pilot: Pilot[None], screen: InstallMode) -> None:
        screen.goto("preflight")
        await wait_for(pilot, lambda: "failed" in str(
            screen.query_one("#preflight-status").render()), "the failed preflight")
    assert shoot(snap_compare, size, setup,
                 backend_for(runs, preflight=["preflight-failed"]))


@pytest.mark.parametrize("size", SIZES)
def test_deploy_in_progress(snap_compare: Any, size: tuple[int, int],
                            runs: dict[str, Path]) -> None:
    gate = threading.Event()  # never opened: the run stays where the shot is taken
    backend = backend_for(runs, deploy=["rerun-deploy"], gate=gate, hold_at=60)
    backend.add_history(runs["first-deploy"], inventory=default_inventory_path())

    async def setup(pilot: Pilot[None], screen: InstallMode) -> None:
        screen.goto("deploy")
        step = screen.step()
        await wait_for(pilot, lambda: len(getattr(step, "seen", [])) == 60, "60 events")
        await wait_for(pilot, lambda: not getattr(step, "redraw_pending", True), "redraw")
    assert shoot(snap_compare, size, setup, backend)


@pytest.mark.parametrize("size", SIZES)
def test_deploy_failure_panel(snap_compare: Any, size: tuple[int, int],
                              runs: dict[str, Path]) -> None:
    async def setup(pilot: Pilot[None], screen: InstallMode) -> None:
        screen.goto("deploy")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, FailurePanel), "panel")
    assert shoot(snap_compare, size, setup, backend_for(runs, deploy=["failed-deploy"]))


@pytest.mark.parametrize("size", SIZES)
def test_summary(snap_compare: Any, size: tuple[int, int]) -> None:
    assert shoot(snap_compare, size, at("summary", multi=False))
