"""The install wizard end to end under the pilot, with a replaying backend."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from installer.inventory import parse
from tests.integration.tui_install.conftest import (
    REPO,
    FakeChecker,
    FakeClock,
    HostApp,
    backend_for,
    install_screen,
    wait_for,
)
from tui.install.app import InstallMode

pytestmark = pytest.mark.anyio


async def test_all_in_one_by_keyboard_at_80x24(runs: dict[str, Path], home: Path) -> None:
    backend = backend_for(runs)
    checker = FakeChecker()
    app = HostApp(lambda: InstallMode(backend=backend, checker=checker, clock=FakeClock()))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = install_screen(pilot)
        await wait_for(pilot, lambda: screen.current == "kind")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: screen.current == "networks", "networks")
        await pilot.press("tab", "1", "0", ".", "9", ".", "0", ".", "0", "/", "2", "4")
        for expected in ("storage", "services", "review"):
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: screen.current == expected, expected)  # noqa: B023
        await pilot.press("ctrl+n")  # write the inventory, then the preflight runs
        await wait_for(pilot, lambda: screen.current == "preflight", "preflight")
        await wait_for(pilot, lambda: screen.step().can_leave(), "preflight passed")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: screen.current == "summary", "summary")
        await pilot.press("m")
        await wait_for(pilot, lambda: app.finished is not None, "InstallFinished")
    written = home / ".config" / "haneul" / "inventories" / "haneul.yml"
    inventory = parse(written)
    assert inventory.roles_of("aio") == ["control", "network", "compute", "storage"]
    assert inventory.variables["haneul_network_management_cidr"] == "10.9.0.0/24"
    assert [a for a, _ in backend.started] == ["preflight", "deploy"]
    assert backend.started[1][1] == written
    assert checker.calls == []  # nothing to test over SSH on this machine
    assert app.finished is not None and app.finished.cloud == "haneul"


def ssh_of(screen: InstallMode, name: str) -> str:
    host = screen.state.host(name)
    return host.ssh if host is not None else ""


async def type_into(pilot: Pilot[None], selector: str, text: str) -> None:
    """Click a field, then fill it (key by key is slow and tested at 80x24 already)."""
    await pilot.click(selector)
    field = pilot.app.screen.query_one(selector, Input)
    assert field.has_focus
    field.value = text


async def test_several_hosts_by_mouse_with_ssh_tests(runs: dict[str, Path],
                                                     home: Path) -> None:
    backend = backend_for(runs)
    checker = FakeChecker(refuse={"10.20.0.99": "connection refused"})
    app = HostApp(lambda: InstallMode(backend=backend, checker=checker, clock=FakeClock()))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = install_screen(pilot)
        await pilot.click("#kind-multi")
        await pilot.click("#next")
        await wait_for(pilot, lambda: screen.current == "hosts", "hosts")
        for name, address in (("controller", "10.20.0.10"), ("compute1", "10.20.0.21:2222"),
                              ("broken", "10.20.0.99")):
            await type_into(pilot, "#host-name", name)
            await type_into(pilot, "#host-address", address)
            await pilot.click("#host-add")
        await wait_for(pilot, lambda: len(checker.calls) == 3, "three SSH tests")
        await wait_for(pilot, lambda: "refused" in ssh_of(screen, "broken"), "the refusal")
        await pilot.click("#next")  # the unreachable host keeps us here
        assert screen.current == "hosts"
        assert "broken: SSH failed: connection refused" in str(
            screen.query_one("#problems").render())
        table = screen.query_one("#host-table", DataTable)
        table.move_cursor(row=2)
        await pilot.click("#host-remove")
        assert [h.name for h in screen.state.hosts] == ["controller", "compute1"]
        await pilot.click("#next")
        await wait_for(pilot, lambda: screen.current == "roles", "roles")
        # The first guess: the first host controls, the others compute. Add storage on
        # compute1 with one click on its cell (row 2 under the header; the columns are
        # "controller" wide, then 3 of 9).
        roles = screen.query_one("#role-table", DataTable)
        assert roles.get_row_at(1)[4].plain == "[ ]"
        x = 1 + len("controller") + 2 + 3 * 9 + 1
        await pilot.click("#role-table", offset=(x, 2))
        compute1 = screen.state.host("compute1")
        assert compute1 is not None
        await wait_for(pilot, lambda: compute1.roles == ["compute", "storage"], "storage")
        await pilot.click("#next")
        await wait_for(pilot, lambda: screen.current == "networks", "networks")
        await type_into(pilot, "#net-external_cidr", "203.0.113.0/24")
        await type_into(pilot, "#net-floating_start", "203.0.113.100")
        await pilot.click("#next")  # one end of the range only
        assert screen.current == "networks"
        await type_into(pilot, "#net-floating_end", "203.0.113.200")
        await pilot.click("#next")
        await wait_for(pilot, lambda: screen.current == "storage", "storage")
        await pilot.click("#next")
        await wait_for(pilot, lambda: screen.current == "services", "services")
        await pilot.click("#next")
        await wait_for(pilot, lambda: screen.current == "review", "review")
        await pilot.click("#next")
        await wait_for(pilot, lambda: screen.current == "preflight", "preflight")
        await wait_for(pilot, lambda: screen.step().can_leave(), "preflight passed")
        await pilot.click("#next")
        await wait_for(pilot, lambda: screen.current == "summary", "summary")
        await pilot.click("#next")
        await wait_for(pilot, lambda: app.finished is not None, "InstallFinished")
    inventory = parse(home / ".config" / "haneul" / "inventories" / "haneul.yml")
    assert inventory.groups == {"control": ["controller"], "network": ["controller"],
                                "compute": ["compute1"], "storage": ["compute1"]}
    assert inventory.address("compute1") == "10.20.0.21"
    assert inventory.hosts["compute1"]["ansible_port"] == 2222
    assert ("10.20.0.21", "root", 2222, "") in checker.calls
    assert inventory.hosts["compute1"]["haneul_storage_backend"] == "files"
    assert inventory.variables["haneul_network_floating_end"] == "203.0.113.200"
    assert [a for a, _ in backend.started] == ["preflight", "deploy"]


async def test_loading_an_inventory_tests_its_hosts(runs: dict[str, Path]) -> None:
    checker = FakeChecker()
    app = HostApp(lambda: InstallMode(backend=backend_for(runs), checker=checker,
                                      clock=FakeClock()))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = install_screen(pilot)
        await pilot.click("#kind-multi")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: screen.current == "hosts", "hosts")
        await type_into(pilot, "#load-path", str(REPO / "inventory" / "nope.yml"))
        await pilot.press("enter")  # submits the path
        await wait_for(pilot, lambda: "no such inventory file" in str(
            screen.query_one("#problems").render()), "the error")
        screen.query_one("#load-path", Input).value = str(REPO / "inventory" /
                                                          "multinode.yml")
        await pilot.click("#load")
        await wait_for(pilot, lambda: len(checker.calls) == 4, "an SSH test per host")
        assert screen.current == "hosts"
        assert [h.name for h in screen.state.hosts] == ["controller", "network1",
                                                        "compute1", "storage1"]
        assert [c[0] for c in checker.calls] == ["10.20.0.10", "10.20.0.11", "10.20.0.21",
                                                 "10.20.0.31"]
        assert "haneul_database: postgresql" in screen.state.to_yaml()
        await wait_for(pilot, lambda: ssh_of(screen, "storage1").startswith("ok"), "tests")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: screen.current == "roles", "roles")


async def test_an_inventory_given_at_start_opens_the_review(runs: dict[str, Path]) -> None:
    given = REPO / "inventory" / "all-in-one.yml"
    app = HostApp(lambda: InstallMode(given, backend=backend_for(runs),
                                      checker=FakeChecker(), clock=FakeClock()))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = install_screen(pilot)
        await wait_for(pilot, lambda: screen.current == "review", "review")
        assert screen.state.inventory_path == given
        assert screen.query_one("#inventory-path", Input).value == str(given)


async def test_several_hosts_by_keyboard_alone_at_80x24(runs: dict[str, Path],
                                                        home: Path) -> None:
    backend = backend_for(runs)
    checker = FakeChecker()
    app = HostApp(lambda: InstallMode(backend=backend, checker=checker, clock=FakeClock()))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = install_screen(pilot)
        await wait_for(pilot, lambda: screen.current == "kind")
        await pilot.press("down", "enter", "ctrl+n")  # "several hosts"
        await wait_for(pilot, lambda: screen.current == "hosts", "hosts")
        await pilot.press(*"ctl", "tab", *"10.0.0.10", "enter")  # Enter tests and adds
        await pilot.press(*"cmp", "tab", *"10.0.0.11", "enter")
        await wait_for(pilot, lambda: ssh_of(screen, "cmp").startswith("ok"), "SSH tests")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: screen.current == "roles", "roles")
        await pilot.press("down", "right", "space")  # cmp: + network
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: screen.current == "networks", "networks")
        await pilot.press("ctrl+b")  # back keeps what was chosen
        await wait_for(pilot, lambda: screen.current == "roles", "roles again")
        for expected in ("networks", "storage", "services", "review"):
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: screen.current == expected, expected)  # noqa: B023
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: screen.current == "preflight", "preflight")
        await wait_for(pilot, lambda: screen.step().can_leave(), "preflight passed")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: screen.current == "summary", "summary")
        await pilot.press("m")
        await wait_for(pilot, lambda: app.finished is not None, "InstallFinished")
    inventory = parse(home / ".config" / "haneul" / "inventories" / "haneul.yml")
    assert inventory.groups == {"control": ["ctl"], "network": ["ctl", "cmp"],
                                "compute": ["cmp"]}
    assert [c[0] for c in checker.calls] == ["10.0.0.10", "10.0.0.11"]


async def test_problems_keep_the_wizard_on_the_step(runs: dict[str, Path]) -> None:
    backend = backend_for(runs)
    app = HostApp(lambda: InstallMode(backend=backend, checker=FakeChecker(),
                                      clock=FakeClock()))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = install_screen(pilot)
        for _ in range(3):
            await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: screen.current == "services", "services")
        await pilot.press("space")  # identity off
        await pilot.press("ctrl+n")
        assert screen.current == "services"
        assert "identity is required" in str(screen.query_one("#problems").render())
        await pilot.press("space", "ctrl+n")
        await wait_for(pilot, lambda: screen.current == "review", "review")
        assert not screen.query_one("#problems").display
        # The file cannot be written there: the review says so, inline, and stays.
        screen.query_one("#inventory-path", Input).value = "/proc/haneul/inventory.yml"
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: "cannot write" in str(
            screen.query_one("#review-errors").render()), "the error")
        assert screen.current == "review"
        assert backend.started == []


async def test_storage_devices_by_keyboard(runs: dict[str, Path]) -> None:
    app = HostApp(lambda: InstallMode(backend=backend_for(runs), checker=FakeChecker(),
                                      clock=FakeClock()))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = install_screen(pilot)
        await pilot.press("ctrl+n", "ctrl+n")
        await wait_for(pilot, lambda: screen.current == "storage", "storage")
        await wait_for(pilot, lambda: bool(screen.query(".storage-kind")), "its rows")
        screen.query_one(".storage-kind").focus()
        await pilot.press("enter", "down", "enter")  # "devices"
        await pilot.press("tab", "ctrl+u", *"/dev/sdb /dev/sdc")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: screen.current == "services", "services")
        store = screen.state.storage["aio"]
        assert (store.kind, store.devices) == ("devices", ["/dev/sdb", "/dev/sdc"])
        await pilot.press("ctrl+b")  # and back: the rows show what was chosen
        await wait_for(pilot, lambda: screen.current == "storage", "storage again")
        await wait_for(pilot, lambda: [i.value for i in screen.query(".storage-value")
                                       .results(Input)][-1] == "/dev/sdb, /dev/sdc")
