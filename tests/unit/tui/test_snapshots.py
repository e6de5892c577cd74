"""Snapshots of manage mode's main screens at 80x24 and 120x40, from fixed data (ids,
times and addresses from tui.manage.demo; no refresh timer; no cursor blink).

Update after an intended change of the look: pytest tests/unit/tui --snapshot-update
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.widgets import Input

from tests.unit.tui.support import until
from tui.app import HaneulApp
from tui.manage import demo
from tui.manage.screens.dialogs import FormScreen

SIZES = [(80, 24), (120, 40)]


def make_app(services: set[str] | None = None) -> HaneulApp:
    return HaneulApp(source=demo.source(12, services=services), refresh_seconds=3600)


def loaded(then: Callable[[Any], Awaitable[None]] | None = None) -> Callable[[Any], Any]:
    async def run_before(pilot: Any) -> None:
        app = pilot.app
        await until(pilot, lambda: app.manage.loaded, "the first rows")
        if then is not None:
            await then(pilot)
        for box in app.screen.query(Input):
            box.cursor_blink = False
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_servers(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=loaded())


@pytest.mark.parametrize("size", SIZES)
def test_filtered_with_cli_pane(snap_compare: Any, size: tuple[int, int]) -> None:
    async def then(pilot: Any) -> None:
        await pilot.press("o", "slash", *"web", "enter")

    assert snap_compare(make_app(), terminal_size=size, run_before=loaded(then))


@pytest.mark.parametrize("size", SIZES)
def test_describe(snap_compare: Any, size: tuple[int, int]) -> None:
    async def then(pilot: Any) -> None:
        await pilot.press("down", "d")

    assert snap_compare(make_app(), terminal_size=size, run_before=loaded(then))


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare: Any, size: tuple[int, int]) -> None:
    async def then(pilot: Any) -> None:
        await pilot.press("question_mark")

    assert snap_compare(make_app(), terminal_size=size, run_before=loaded(then))


@pytest.mark.parametrize("size", SIZES)
def test_command_line(snap_compare: Any, size: tuple[int, int]) -> None:
    async def then(pilot: Any) -> None:
        await pilot.press("colon", "f")

    assert snap_compare(make_app(), terminal_size=size, run_before=loaded(then))


@pytest.mark.parametrize("size", SIZES)
def test_create_server_form(snap_compare: Any, size: tuple[int, int]) -> None:
    async def then(pilot: Any) -> None:
        await pilot.press("c")
        await until(pilot, lambda: isinstance(pilot.app.screen, FormScreen)
                    and len(pilot.app.screen.labels.get("flavor", {})) == 4, "the choices")
        await pilot.press(*"demo")

    assert snap_compare(make_app(), terminal_size=size, run_before=loaded(then))


@pytest.mark.parametrize("size", SIZES)
def test_topology(snap_compare: Any, size: tuple[int, int]) -> None:
    async def then(pilot: Any) -> None:
        await pilot.press("t")
        await until(pilot, lambda: "private" in str(
            pilot.app.screen.query_one("#topology").render()), "the topology")

    assert snap_compare(make_app(), terminal_size=size, run_before=loaded(then))


@pytest.mark.parametrize("size", SIZES)
def test_no_network_service(snap_compare: Any, size: tuple[int, int]) -> None:
    async def then(pilot: Any) -> None:
        await pilot.press("colon", *"networks", "enter")
        await until(pilot, lambda: "no network" in str(
            pilot.app.screen.query_one("#message").render()), "the explanation")

    app = make_app(services={"identity", "image", "compute"})
    assert snap_compare(app, terminal_size=size, run_before=loaded(then))
