"""Manage mode driven by Textual's pilot against a real `haneul serve` on loopback."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from textual.coordinate import Coordinate
from textual.widgets import Input, Log, OptionList, Select

from tests.integration.tui.conftest import TuiCloud
from tests.unit.tui.support import shown, until
from tui.app import HaneulApp
from tui.manage.screens.console import ConsoleScreen
from tui.manage.screens.describe import DescribeScreen
from tui.manage.screens.dialogs import ConfirmScreen, FormScreen
from tui.manage.screens.manage import ManageScreen
from tui.manage.screens.switch import SwitchScreen
from tui.manage.widgets.table import ResourceTable

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(120)]


def make_app(tc: TuiCloud, **kw: Any) -> HaneulApp:
    return HaneulApp("manage", cloud="haneul", clouds_yaml=tc.cloud.clouds_yaml,
                     refresh_seconds=1.0, **kw)


def manage(app: HaneulApp) -> ManageScreen:
    screen = app.manage
    assert isinstance(screen, ManageScreen)
    return screen


def column(app: HaneulApp, index: int = 0) -> list[str]:
    table = manage(app).query_one(ResourceTable)
    return [str(table.get_cell_at(Coordinate(r, index))) for r in range(table.row_count)]


def message(app: HaneulApp) -> str:
    return str(manage(app).query_one("#message").render())


def title(app: HaneulApp) -> str:
    return str(manage(app).query_one("#info").render())


@pytest.fixture(scope="module")
def server(tui_cloud: TuiCloud) -> Any:
    conn = tui_cloud.conn
    flavor = conn.compute.find_flavor("m1.nano")
    made = conn.compute.create_server(name="listed-" + uuid.uuid4().hex[:6],
                                      image_id=tui_cloud.image_id, flavor_id=flavor.id,
                                      networks="none")
    made = conn.compute.wait_for_server(made, status="ACTIVE", wait=30)
    yield made
    conn.compute.delete_server(made.id, ignore_missing=True)


async def test_lists_servers_with_status(tui_cloud: TuiCloud, server: Any) -> None:
    app = make_app(tui_cloud)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: server.name in column(app), "the server in the table")
        row = column(app).index(server.name)
        assert column(app, 1)[row] == "ACTIVE"
        assert server.id in column(app, 5)
        assert "haneul ▸ admin ▸ Servers" in title(app)


async def test_filter_narrows_and_escape_clears(tui_cloud: TuiCloud, server: Any) -> None:
    conn = tui_cloud.conn
    other = conn.compute.create_server(name="other-" + uuid.uuid4().hex[:6],
                                       image_id=tui_cloud.image_id, networks="none",
                                       flavor_id=conn.compute.find_flavor("m1.nano").id)
    try:
        app = make_app(tui_cloud)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: {server.name, other.name} <= set(column(app)),
                        "both servers listed")
            await pilot.press("slash", *server.name)
            await until(pilot, lambda: column(app) == [server.name], "the filter to apply")
            assert f"/{server.name}" in title(app)
            await pilot.press("enter")  # keeps the filter, back to the table
            assert column(app) == [server.name]
            await pilot.press("escape")
            await until(pilot, lambda: other.name in column(app), "the filter to clear")
    finally:
        conn.compute.delete_server(other.id, ignore_missing=True)


async def test_describe_shows_every_field_and_json(tui_cloud: TuiCloud, server: Any) -> None:
    app = make_app(tui_cloud)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: server.name in column(app), "the server in the table")
        table = manage(app).query_one(ResourceTable)
        table.move_cursor(row=column(app).index(server.name))
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, DescribeScreen), "describe")
        await until(pilot, lambda: server.id in shown(app.screen.query_one("#describe-fields")),
                    "the fields drawn")
        fields = shown(app.screen.query_one("#describe-fields"))
        raw = shown(app.screen.query_one("#describe-json"))
        assert server.id in fields and "flavor" in fields and "status" in fields
        assert f'"id": "{server.id}"' in raw
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is manage(app), "back to the table")


async def test_command_line_completes_and_opens_resource(tui_cloud: TuiCloud) -> None:
    app = make_app(tui_cloud)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("colon", "i", "m")
        line = manage(app).query_one("#command", Input)
        assert "images" in str(manage(app).query_one("#hints").render())
        await pilot.press("tab")
        assert line.value == "images"
        await pilot.press("enter")
        await until(pilot, lambda: "tiny" in column(app), "the images table")
        assert "Images" in title(app)
        await pilot.press("colon", *"fl", "tab", "enter")
        await until(pilot, lambda: "m1.nano" in column(app), "the flavors table")


async def test_absent_service_is_explained(tui_cloud: TuiCloud) -> None:
    app = make_app(tui_cloud)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("colon", *"networks", "enter")
        await until(pilot, lambda: "no network service" in message(app), "the explanation")
        assert column(app) == []
        await pilot.press("colon", *"servers", "enter")  # and the TUI carries on
        await until(pilot, lambda: "Servers" in title(app) and "(" in title(app), "servers")


async def test_create_and_delete_a_server_through_the_form(tui_cloud: TuiCloud) -> None:
    name = "tui-" + uuid.uuid4().hex[:6]
    app = make_app(tui_cloud)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: "(" in title(app), "the servers table")
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        form = app.screen
        assert isinstance(form, FormScreen)
        image = form.query_one("#field-image", Select)
        flavor = form.query_one("#field-flavor", Select)
        await until(pilot, lambda: tui_cloud.image_id in form.labels.get("image", {}) and
                    bool(form.labels.get("flavor")), "the form's choices")
        assert "no network service" in str(form.query_one("#note-network").render())
        await pilot.press(*name)
        image.value = tui_cloud.image_id
        flavor.value = next(v for v, label in form.labels["flavor"].items()
                            if label == "m1.nano")
        await pilot.pause()
        preview = str(form.query_one("#form-cli").render())
        assert preview == (f"openstack server create --image tiny --flavor m1.nano "
                           f"--nic none {name}")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: name in column(app), "the new server in the table")
        await until(pilot, lambda: column(app, 1)[column(app).index(name)] == "ACTIVE",
                    "the new server to be ACTIVE", timeout=30)
        cli_log = manage(app).query_one("#cli")
        assert f"openstack server create --image tiny --flavor m1.nano --nic none {name}" \
            in "\n".join(cli_log.lines)  # type: ignore[attr-defined]
        await pilot.press("o")
        assert cli_log.display

        manage(app).query_one(ResourceTable).move_cursor(row=column(app).index(name))
        await pilot.press("ctrl+d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        assert name in str(app.screen.query_one("#question").render())
        await pilot.press("y")
        await until(pilot, lambda: name not in column(app), "the server to go", timeout=30)
        assert f"openstack server delete {name}" in "\n".join(cli_log.lines)  # type: ignore[attr-defined]
    assert tui_cloud.conn.compute.find_server(name) is None


async def test_readonly_refuses_changes(tui_cloud: TuiCloud, server: Any) -> None:
    app = make_app(tui_cloud, readonly=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: server.name in column(app), "the server in the table")
        assert "READ-ONLY" in title(app)
        for key in ("c", "ctrl+d", "r", "x"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is manage(app), key
            assert "read-only mode" in message(app), key
    assert tui_cloud.conn.compute.get_server(server.id).status == "ACTIVE"


async def test_api_error_is_shown_inline(tui_cloud: TuiCloud) -> None:
    app = make_app(tui_cloud, resource="projects")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: "admin" in column(app), "the projects table")
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        await pilot.press(*"admin", "ctrl+s")
        await until(pilot, lambda: "create failed" in message(app), "the error")
        assert "409" in message(app)
        assert app.screen is manage(app)  # still running, still usable
        await pilot.press("colon", *"users", "enter")
        await until(pilot, lambda: "admin" in column(app), "the users table")


async def test_console_follows_what_the_guest_writes(tui_cloud: TuiCloud, server: Any) -> None:
    app = make_app(tui_cloud)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: server.name in column(app), "the server in the table")
        manage(app).query_one(ResourceTable).move_cursor(row=column(app).index(server.name))
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, ConsoleScreen), "the console")
        log = app.screen.query_one(Log)
        await until(pilot, lambda: server.id in "\n".join(log.lines), "the boot banner")
        marker = "tui-console-" + uuid.uuid4().hex[:6]
        with open(tui_cloud.driver.console_path(server.id), "a") as console:
            console.write(marker + "\n")
        await until(pilot, lambda: marker in "\n".join(log.lines), "the new line", 30)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is manage(app), "back to the table")


async def test_server_actions(tui_cloud: TuiCloud, server: Any) -> None:
    app = make_app(tui_cloud)

    def status() -> str:
        names = column(app)
        return column(app, 1)[names.index(server.name)] if server.name in names else ""

    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: status() == "ACTIVE", "the server ACTIVE")
        manage(app).query_one(ResourceTable).move_cursor(row=column(app).index(server.name))
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("y")
        await until(pilot, lambda: status() == "SHUTOFF", "SHUTOFF", 30)
        await pilot.press("p")  # pause needs ACTIVE: says so, changes nothing
        assert "cannot pause / unpause while SHUTOFF" in message(app)
        await pilot.press("x", "y")
        await until(pilot, lambda: status() == "ACTIVE", "ACTIVE again", 30)
        await pilot.press("p", "y")
        await until(pilot, lambda: status() == "PAUSED", "PAUSED", 30)
        await pilot.press("p", "y")
        await until(pilot, lambda: status() == "ACTIVE", "unpaused", 30)
        await pilot.press("r", "y")
        await until(pilot, lambda: "reboot: done" in message(app), "the reboot asked")
        await until(pilot, lambda: status() == "ACTIVE", "ACTIVE after reboot", 30)
        cli = "\n".join(manage(app).query_one("#cli").lines)  # type: ignore[attr-defined]
        for verb in ("stop", "start", "pause", "unpause", "reboot"):
            assert f"openstack server {verb} {server.name}" in cli


async def test_snapshot_a_server(tui_cloud: TuiCloud, server: Any) -> None:
    name = "snap-" + uuid.uuid4().hex[:6]
    app = make_app(tui_cloud)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: server.name in column(app), "the server in the table")
        manage(app).query_one(ResourceTable).move_cursor(row=column(app).index(server.name))
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        await pilot.press(*name, "ctrl+s")
        await until(pilot, lambda: "snapshot: done" in message(app), "the snapshot asked")
        await pilot.press("colon", *"images", "enter")
        await until(pilot, lambda: name in column(app), "the snapshot image", 30)
    image = tui_cloud.conn.image.find_image(name)
    assert image is not None
    tui_cloud.conn.image.delete_image(image)


async def test_switch_project(tui_cloud: TuiCloud) -> None:
    conn = tui_cloud.conn
    name = "tui-proj-" + uuid.uuid4().hex[:6]
    project = conn.identity.create_project(name=name, domain_id="default")
    user = conn.identity.find_user("admin")
    conn.identity.assign_project_role_to_user(project, user, conn.identity.find_role("admin"))
    app = make_app(tui_cloud)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: "(" in title(app), "the servers table")
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, SwitchScreen), "the switcher")
        options = app.screen.query_one(OptionList)
        await until(pilot, lambda: options.option_count > 1, "clouds and projects")
        labels = [str(options.get_option_at_index(i).prompt)
                  for i in range(options.option_count)]
        assert "cloud    haneul" in labels
        options.highlighted = next(i for i, label in enumerate(labels) if name in label)
        await pilot.press("enter")
        await until(pilot, lambda: f"▸ {name} ▸ Servers (" in title(app), "the project")
        assert column(app) == []  # a fresh project has no servers


async def test_create_project_and_user(tui_cloud: TuiCloud) -> None:
    tag = uuid.uuid4().hex[:6]
    app = make_app(tui_cloud, resource="projects")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: "admin" in column(app), "the projects table")
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        await pilot.press(*("p-" + tag), "tab", *"made by the TUI", "ctrl+s")
        await until(pilot, lambda: "p-" + tag in column(app), "the project")
        await pilot.press("colon", *"users", "enter")
        await until(pilot, lambda: "admin" in column(app), "the users table")
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        form = app.screen
        assert isinstance(form, FormScreen)
        await until(pilot, lambda: "p-" + tag in form.labels.get("project", {}).values(),
                    "the projects to choose from")
        await pilot.press(*("u-" + tag), "tab", *"pw-pw-pw")
        form.query_one("#field-project", Select).value = next(
            v for v, label in form.labels["project"].items() if label == "p-" + tag)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "u-" + tag in column(app), "the user")
        cli = "\n".join(manage(app).query_one("#cli").lines)  # type: ignore[attr-defined]
        assert f"openstack project create --description 'made by the TUI' p-{tag}" in cli
        assert f"openstack user create --password '****' --project p-{tag} u-{tag}" in cli
        assert "pw-pw-pw" not in cli
    conn = tui_cloud.conn
    user = conn.identity.find_user("u-" + tag)
    project = conn.identity.find_project("p-" + tag)
    assert user.default_project_id == project.id
