"""Step 3 (several hosts): which roles each host plays — a grid of checkboxes."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static

from tui.install.state import ROLES
from tui.install.steps.base import Step

# Text, not str: DataTable reads a str as markup, and "[x]" would vanish as a tag.
ON, OFF = Text("[x]"), Text("[ ]")


class RoleGrid(DataTable[Text]):
    """A DataTable where one click on a cell toggles it (DataTable selects only on a
    second click, the first moving the cursor there)."""

    def on_click(self, _event: events.Click) -> None:
        # This runs before DataTable's own handler, which moves the cursor (and selects
        # only if it was there already): look once it has.
        self.call_next(self.select_if_moved, self.cursor_coordinate)

    def select_if_moved(self, before: Coordinate) -> None:
        if self.cursor_coordinate != before:
            self.action_select_cursor()


class RolesStep(Step):
    TITLE = "Roles"
    BINDINGS = [Binding("space", "toggle_role", "Toggle role")]

    def compose(self) -> ComposeResult:
        yield Static("Arrows move, Space or Enter (or a click) toggles a role. Exactly "
                     "one host is the control host.", classes="help")
        yield RoleGrid(id="role-table", cursor_type="cell")
        yield Static("control: the APIs and the database · network: routers, DHCP · "
                     "compute: guests (libvirt) · storage: volumes and objects",
                     classes="help")

    def on_mount(self) -> None:
        self.query_one(RoleGrid).add_columns("Host", *ROLES)

    def load(self) -> None:
        table = self.query_one(RoleGrid)
        table.clear()
        for host in self.ctx.state.hosts:
            table.add_row(Text(host.name), *(ON if r in host.roles else OFF for r in ROLES),
                          key=host.name)
        if self.ctx.state.hosts:
            table.move_cursor(row=0, column=1)

    def save(self) -> list[str]:
        self.ctx.state.prune_storage()
        return self.ctx.state.role_problems()

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        self.toggle(event.coordinate.row, event.coordinate.column)

    def action_toggle_role(self) -> None:
        table = self.query_one(RoleGrid)
        self.toggle(table.cursor_coordinate.row, table.cursor_coordinate.column)

    def toggle(self, row: int, column: int) -> None:
        hosts = self.ctx.state.hosts
        if column < 1 or not 0 <= row < len(hosts):
            return
        role, host = ROLES[column - 1], hosts[row]
        host.roles = [r for r in ROLES if (r in host.roles) != (r == role)]
        table = self.query_one(RoleGrid)
        table.update_cell_at(Coordinate(row, column), ON if role in host.roles else OFF)
