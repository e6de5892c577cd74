"""`t` or `:topology`: networks, routers and servers drawn as text."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from tui.manage.logic import error_text
from tui.manage.messages import TextReady
from tui.manage.resources import RESOURCES
from tui.manage.source import ServiceMissing, Source
from tui.manage.topology import render


class TopologyScreen(Screen[None]):
    BINDINGS = [Binding("escape,q", "app.pop_screen", "back"),
                Binding("ctrl+r", "reload", "refresh")]

    def __init__(self, source: Source) -> None:
        super().__init__()
        self.source = source

    def compose(self) -> ComposeResult:
        yield Label(" topology ▸ networks, routers, servers", id="topology-title")
        with VerticalScroll():
            yield Static("loading…", id="topology")
        yield Footer()

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self._load(self.source)

    @work(thread=True, exclusive=True, group="topology")
    def _load(self, source: Source) -> None:
        try:
            rows = {name: source.fetch(RESOURCES[name])
                    for name in ("networks", "subnets", "routers", "ports")}
            servers = source.fetch(RESOURCES["servers"])
        except ServiceMissing as exc:
            self.post_message(TextReady("", error=f"{exc}: there is no topology to draw"))
        except Exception as exc:
            self.post_message(TextReady("", error=error_text(exc)))
        else:
            self.post_message(TextReady(render(rows["networks"], rows["subnets"],
                                               rows["routers"], rows["ports"], servers)))

    def on_text_ready(self, message: TextReady) -> None:
        box = self.query_one("#topology", Static)
        if message.error:
            box.update(Text("✗ " + message.error, style="red"))
        else:
            box.update(Text(message.text))
