"""`d`: every field of the selected row, then its raw JSON."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from tui.manage.logic import describe_fields, raw_json
from tui.manage.resources.base import Resource, Row


class DescribeScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,d", "dismiss", "back"),
        Binding("j", "json", "jump to JSON"),
    ]

    def __init__(self, resource: Resource, row: Row) -> None:
        super().__init__()
        self.resource = resource
        self.row = row

    def compose(self) -> ComposeResult:
        name = self.row.get(self.resource.name_key) or self.row.get("id")
        with VerticalScroll(id="describe"):
            yield Label(f"{self.resource.title} ▸ {name}", id="describe-title")
            table = Table(show_header=False, box=None, padding=(0, 1))
            table.add_column("field", style="bold cyan", no_wrap=True)
            table.add_column("value", overflow="fold")
            for key, value in describe_fields(self.row):
                table.add_row(key, Text(value))
            yield Static(table, id="describe-fields")
            yield Label("JSON", classes="section")
            yield Static(Text(raw_json(self.row)), id="describe-json")

    def action_json(self) -> None:
        self.query_one("#describe-json").scroll_visible(animate=False, top=True)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
