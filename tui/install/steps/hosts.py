"""Step 2 (several hosts): add hosts by address, each tested over SSH, or load a file."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.coordinate import Coordinate
from textual.widgets import Button, DataTable, Input, Label, Static

from installer.inventory import parse
from tui.install.messages import InventoryLoaded, SshChecked
from tui.install.ssh import SshResult
from tui.install.state import Host, from_inventory
from tui.install.steps.base import Step

TESTING = "testing…"
COLUMNS = ("Host", "Address", "User", "SSH")


class HostsStep(Step):
    TITLE = "Hosts"
    BINDINGS = [Binding("delete", "remove", "Remove host")]

    def compose(self) -> ComposeResult:
        yield Static("Add each host by its address on the management network; the SSH "
                     "test logs in with your keys, as the deployment will.", classes="help")
        with Horizontal(classes="form-row"):
            yield Label("Name", classes="label")
            yield Input(placeholder="controller", id="host-name", compact=True)
            yield Label("Address", classes="label")
            yield Input(placeholder="10.20.0.10[:port]", id="host-address", compact=True)
        with Horizontal(classes="form-row"):
            yield Label("User", classes="label")
            yield Input("root", id="host-user", compact=True)
            yield Label("SSH key", classes="label")
            yield Input(placeholder="~/.ssh/id_ed25519 (optional)", id="host-key",
                        compact=True)
        with Horizontal(classes="button-row"):
            yield Button("Test & add", id="host-add", compact=True)
            yield Button("Remove", id="host-remove", compact=True)
        yield DataTable(id="host-table", cursor_type="row", zebra_stripes=True)
        with Horizontal(classes="form-row"):
            yield Label("Or load", classes="label")
            yield Input(placeholder="path of an existing inventory (YAML)",
                        id="load-path", compact=True)
            yield Button("Load", id="load", compact=True)

    def load(self) -> None:
        self.refresh_table()
        for host in self.ctx.state.hosts:
            if not host.ssh:
                self.test(host)

    def refresh_table(self) -> None:
        table = self.query_one("#host-table", DataTable)
        table.clear(columns=True)  # columns fit their content anew
        table.add_columns(*COLUMNS)
        for host in self.ctx.state.hosts:
            cells = (host.name, host.address, host.user, host.ssh or "not tested")
            table.add_row(*map(Text, cells), key=host.name)  # Text: messages are not markup

    def save(self) -> list[str]:
        state = self.ctx.state
        problems = state.host_problems()
        for host in state.hosts:
            if host.ssh == TESTING:
                problems.append(f"{host.name}: the SSH test is still running")
            elif host.ssh and not host.ssh.startswith("ok"):
                problems.append(f"{host.name}: SSH {host.ssh}; fix it, then add the "
                                "host again")
        return problems

    @on(Input.Submitted, "#host-name, #host-address, #host-user, #host-key")
    @on(Button.Pressed, "#host-add")
    def add_host(self) -> None:
        name = self.query_one("#host-name", Input).value.strip()
        address = self.query_one("#host-address", Input).value.strip()
        if not address:
            self.notify("give the host's address", severity="warning")
            self.query_one("#host-address", Input).focus()
            return
        port = 22
        host_part, sep, port_part = address.rpartition(":")
        if sep and port_part.isdigit() and ":" not in host_part:  # "10.0.0.5:2222"
            address, port = host_part, int(port_part)
        name = name or address.replace(":", "-")
        host = Host(name=name, address=address, port=port,
                    user=self.query_one("#host-user", Input).value.strip() or "root",
                    key_file=self.query_one("#host-key", Input).value.strip())
        state = self.ctx.state
        old = state.host(name)
        if old is not None:  # adding again re-tests (and keeps the roles)
            host.roles = old.roles
            state.hosts[state.hosts.index(old)] = host
        else:
            # A first guess the roles step shows: the first host controls, others compute.
            has_control = any("control" in h.roles for h in state.hosts)
            host.roles = ["compute"] if has_control else ["control", "network"]
            state.hosts.append(host)
        self.query_one("#host-name", Input).value = ""
        self.query_one("#host-address", Input).value = ""
        self.test(host)
        self.refresh_table()
        self.query_one("#host-name", Input).focus()

    def test(self, host: Host) -> None:
        host.ssh = TESTING
        self.check(host.name, host.address, host.user, host.port, host.key_file)

    @work(thread=True, group="ssh")
    def check(self, name: str, address: str, user: str, port: int, key: str) -> None:
        try:
            result = self.ctx.checker.check(address, user, port, key)
        except Exception as err:  # a checker's bug must not take the wizard down
            result = SshResult(False, f"{type(err).__name__}: {err}")
        self.post_message(SshChecked(name, address, result))

    def on_ssh_checked(self, message: SshChecked) -> None:
        host = self.ctx.state.host(message.host)
        # A host added again since (another address) waits for its own test's answer.
        if host is not None and host.address == message.address:
            host.ssh = message.result.message if message.result.ok else \
                f"failed: {message.result.message}"
            if message.result.ok and not host.ssh.startswith("ok"):
                host.ssh = "ok " + host.ssh
        self.refresh_table()

    @on(Button.Pressed, "#host-remove")
    def action_remove(self) -> None:
        table = self.query_one("#host-table", DataTable)
        if not self.ctx.state.hosts or table.cursor_row < 0:
            return
        row = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key
        self.ctx.state.hosts = [h for h in self.ctx.state.hosts if h.name != row.value]
        self.ctx.state.prune_storage()
        self.refresh_table()

    @on(Input.Submitted, "#load-path")
    @on(Button.Pressed, "#load")
    def load_file(self) -> None:
        path = self.query_one("#load-path", Input).value.strip()
        if path:
            self.read_inventory(Path(path).expanduser())

    @work(thread=True, exclusive=True, group="load")
    def read_inventory(self, path: Path) -> None:
        try:
            state = from_inventory(parse(path))
        except Exception as err:  # InventoryError, or a value of the wrong type
            self.post_message(InventoryLoaded(None, str(err), from_hosts=True))
        else:
            self.post_message(InventoryLoaded(state, from_hosts=True))
