"""ctrl+p: pick another project of this cloud, or another cloud of clouds.yaml."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from tui.manage.logic import error_text
from tui.manage.messages import TextReady
from tui.manage.source import Source


class SwitchScreen(ModalScreen[tuple[str, str, str] | None]):
    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, source: Source) -> None:
        super().__init__()
        self.source = source
        self.choices: list[tuple[str, str, str]] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="switch"):
            yield Label("Switch project or cloud", id="switch-title")
            yield OptionList(id="choices")
            yield Label("loading…", id="switch-note")

    def on_mount(self) -> None:
        self._load(self.source)
        self.query_one(OptionList).focus()

    @work(thread=True)
    def _load(self, source: Source) -> None:
        try:
            clouds = source.clouds()
            projects = source.projects()
        except Exception as exc:
            self.post_message(TextReady("", error=error_text(exc)))
            return
        self.choices = [("cloud", c, c) for c in clouds] + [
            ("project", str(p.get("id")), str(p.get("name") or "")) for p in projects]
        labels = [f"cloud    {c}" for c in clouds] + [
            f"project  {p.get('name')}  ({p.get('id')})" for p in projects]
        self.post_message(TextReady("\n".join(labels)))

    def on_text_ready(self, message: TextReady) -> None:
        note = self.query_one("#switch-note", Label)
        if message.error:
            note.update("✗ " + message.error)
            return
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(line) for line in message.text.splitlines()])
        note.update(f"now: cloud {self.source.cloud}, project {self.source.project}")

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)
