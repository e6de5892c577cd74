"""`l`: a server's console output, followed as the guest writes (like k9s logs)."""

from __future__ import annotations

import threading

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Label, Log

from tui.manage.logic import error_text
from tui.manage.messages import ConsoleText
from tui.manage.resources.base import Row
from tui.manage.source import Source


class ConsoleScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,q", "back", "back"),
        Binding("f", "follow", "follow on/off"),
    ]

    def __init__(self, source: Source, server: Row, interval: float = 1.0) -> None:
        super().__init__()
        self.source = source
        self.server = server
        self.interval = interval
        self.shown = ""
        self._stop = threading.Event()

    def compose(self) -> ComposeResult:
        name = self.server.get("name") or self.server.get("id")
        yield Label(f" console ▸ {name}  (following; f toggles, esc returns)", id="console-title")
        yield Log(id="console", highlight=False, auto_scroll=True)
        yield Label("", id="console-error")
        yield Footer()

    def on_mount(self) -> None:
        self._follow(str(self.server.get("id")))

    def on_unmount(self) -> None:
        self._stop.set()

    @work(thread=True, group="console")
    def _follow(self, server_id: str) -> None:
        while not self._stop.is_set():
            try:
                text = self.source.console(server_id)
            except Exception as exc:
                self.post_message(ConsoleText("", error=error_text(exc)))
            else:
                self.post_message(ConsoleText(text))
            self._stop.wait(self.interval)

    def on_console_text(self, message: ConsoleText) -> None:
        self.query_one("#console-error", Label).update(message.error or "")
        if message.error:
            return
        log = self.query_one(Log)
        text = message.text
        if text.startswith(self.shown):
            new = text[len(self.shown):]
        else:  # the log was rotated or truncated: start over
            log.clear()
            new = text
        if new:
            log.write(new)
        self.shown = text

    def action_follow(self) -> None:
        log = self.query_one(Log)
        log.auto_scroll = not log.auto_scroll

    def action_back(self) -> None:
        self._stop.set()
        self.app.pop_screen()
