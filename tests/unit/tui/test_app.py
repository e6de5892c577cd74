"""Routing between install and manage mode, the `haneul` wiring, and the wall to runtime/.
Pilot tests here use fixed data (no cloud)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support import REPO
from tests.unit.tui.support import shown, until
from tui import app as tui_app
from tui.app import HaneulApp, InstallUnavailable, build_app
from tui.manage import demo
from tui.manage.screens.help import HelpScreen
from tui.manage.screens.manage import ManageScreen

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_tui_packages_never_import_runtime() -> None:
    code = ("import tui.app, tui.manage.screens.manage, tui.manage.screens.dialogs, "
            "tui.manage.screens.topology, tui.manage.source; import sys; "
            "print('\\n'.join(sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO).stdout
    assert "runtime" not in {m.split(".")[0] for m in out.split()}


def test_haneul_routes_tui_commands_lazily(monkeypatch: pytest.MonkeyPatch) -> None:
    import haneul.cli

    seen: list[list[str]] = []

    def fake_main(argv: list[str]) -> int:
        seen.append(argv)
        return 0

    monkeypatch.setattr(tui_app, "main", fake_main)
    assert haneul.cli.main([]) == 0
    assert haneul.cli.main(["manage", "--readonly"]) == 0
    assert haneul.cli.main(["install"]) == 0
    assert seen == [[], ["manage", "--readonly"], ["install"]]


def write_clouds(path: Path, *names: str) -> Path:
    body = "clouds:\n" + "".join(
        f"  {n}:\n    auth:\n      auth_url: http://127.0.0.1:9/identity/v3\n"
        "      username: admin\n      password: x\n      project_name: admin\n"
        for n in names)
    path.write_text(body)
    return path


def test_build_app_chooses_the_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OS_CLOUD", raising=False)
    clouds = write_clouds(tmp_path / "clouds.yaml", "other", "haneul")
    app = build_app(["manage", "--clouds-yaml", str(clouds), "--readonly"])
    assert (app.mode_name, app.cloud, app.readonly) == ("manage", "haneul", True)
    app = build_app(["manage", "--clouds-yaml", str(clouds), "--cloud", "other"])
    assert app.cloud == "other" and not app.readonly
    assert build_app(["install", "-i", "inv.yml"]).mode_name == "install"
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(tmp_path / "none.yaml"))
    monkeypatch.setattr(tui_app, "cloud_names", lambda _path=None: [])
    assert build_app([]).mode_name == "install"  # no cloud yet
    monkeypatch.setattr(tui_app, "cloud_names", lambda _path=None: ["haneul"])
    assert build_app([]).mode_name == "manage"


async def test_install_mode_says_when_it_is_not_available(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tui.install.app", None)  # import fails
    app = HaneulApp("install")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, InstallUnavailable)


async def test_help_lists_keys_and_the_resource_actions() -> None:
    app = HaneulApp(source=demo.source(), readonly=True)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = "\n".join(shown(w) for w in app.screen.query("#help Static"))
        assert "describe the selected row" in text
        assert "reboot the server (disabled: read-only)" in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ManageScreen)


async def test_refresh_keeps_the_selection_and_scroll_when_rows_move() -> None:
    source = demo.source(200)
    app = HaneulApp(source=source, refresh_seconds=0.1)
    # Wide enough for every column: no horizontal scrollbar comes and goes.
    async with app.run_test(size=(160, 30)) as pilot:
        screen: Any = app.screen
        await until(pilot, lambda: screen.loaded, "the first rows")
        table = screen.query_one("#table")
        table.move_cursor(row=150)
        await until(pilot, lambda: table.scroll_y > 100, "the table to scroll")
        await pilot.pause()
        scroll = table.scroll_y
        picked = screen.selected_row()["id"]
        source.rows["servers"].insert(0, {"id": "new", "name": "new", "status": "BUILD"})
        await until(pilot, lambda: len(screen.rows) == 201, "the refresh", timeout=10)
        await pilot.pause()
        assert screen.selected_row()["id"] == picked
        # The selected row stays on the same line of the screen.
        assert table.cursor_row == 151
        assert table.scroll_y == scroll + 1


async def test_install_mode_hands_over_to_manage_mode_when_the_wizard_is_done() -> None:
    from tui.install.messages import InstallFinished

    app = HaneulApp("install", source=demo.source())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.post_message(InstallFinished(cloud="haneul"))
        await until(pilot, lambda: isinstance(app.screen, ManageScreen) and
                    app.manage.loaded, "manage mode")
        assert len(app.screen_stack) == 2


def test_an_unreachable_cloud_is_an_error_not_a_missing_service(tmp_path: Path) -> None:
    from tui.manage.resources import RESOURCES
    from tui.manage.source import SdkSource, ServiceMissing

    clouds = write_clouds(tmp_path / "clouds.yaml", "haneul")
    source = SdkSource.connect("haneul", clouds)
    with pytest.raises(Exception) as caught:
        source.fetch(RESOURCES["servers"])
    assert not isinstance(caught.value, ServiceMissing)
