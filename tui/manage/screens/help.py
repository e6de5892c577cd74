"""`?`: the keys, the `:` commands, and what the current resource can do."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from tui.manage.logic import EXTRA_COMMANDS
from tui.manage.resources import RESOURCES
from tui.manage.resources.base import Resource

KEYS = (
    (":", "command line: :servers, :images, … (Tab completes)"),
    ("/", "filter the table (Esc clears)"),
    ("d", "describe the selected row (all fields and JSON)"),
    ("l", "follow the console output of the selected server"),
    ("t", "network topology"),
    ("o", "show or hide the openstack commands of your changes"),
    ("ctrl+p", "switch project or cloud"),
    ("ctrl+r", "refresh now (tables also refresh on their own)"),
    ("j k g G", "down, up, top, bottom (arrows and page keys work too)"),
    ("?", "this help"),
    ("esc", "back / close / clear the filter"),
    ("q", "quit"),
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "back")]

    def __init__(self, resource: Resource, readonly: bool) -> None:
        super().__init__()
        self.resource = resource
        self.readonly = readonly

    def compose(self) -> ComposeResult:
        keys = Table(show_header=False, box=None, padding=(0, 2))
        keys.add_column("key", style="bold cyan", no_wrap=True)
        keys.add_column("what")
        for key, what in KEYS:
            keys.add_row(key, what)
        acts = Table(show_header=False, box=None, padding=(0, 2))
        acts.add_column("key", style="bold cyan", no_wrap=True)
        acts.add_column("what")
        for action in self.resource.actions:
            suffix = " (disabled: read-only)" if self.readonly and action.changes else ""
            acts.add_row(action.key, action.description + suffix)
        if not self.resource.actions:
            acts.add_row("", "(nothing to change here)")
        with VerticalScroll(id="help"):
            yield Label("Keys", classes="section")
            yield Static(keys)
            yield Label(f"On {self.resource.name}", classes="section")
            yield Static(acts)
            yield Label("Commands", classes="section")
            yield Static(", ".join(f":{n}" for n in (*RESOURCES, *EXTRA_COMMANDS)))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
