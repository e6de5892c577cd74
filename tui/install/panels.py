"""Modal panels of the deploy step: a failure that stays until dismissed, and the log."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Log, Static

from installer.events import HostResult
from tui.install.messages import LogLoaded
from tui.install.runstate import hint, tail

LOG_TAIL = 3000  # lines of ansible.log shown; the file itself keeps everything


class FailurePanel(ModalScreen[str]):
    """What failed, where, the end of its output and what to try; dismissed with
    "log" never (the log opens on top), "retry", "quit" or "dismiss"."""

    BINDINGS = [
        Binding("l", "log", "Full log"),
        Binding("r", "choose('retry')", "Retry"),
        Binding("q", "choose('quit')", "Quit"),
        Binding("escape", "choose('dismiss')", "Dismiss"),
    ]

    def __init__(self, failure: HostResult, log_file: Path, status: str) -> None:
        super().__init__(classes="install-modal")
        self.failure, self.log_file, self.status = failure, log_file, status

    def compose(self) -> ComposeResult:
        f = self.failure
        with Vertical(id="failure-panel"):
            yield Static(Text(f"Deployment {self.status} on {f.host}", style="bold"),
                         id="failure-title")
            yield Static(Text.assemble(("Task: ", "bold"), f.task), id="failure-task")
            with VerticalScroll(id="failure-output"):
                yield Static(Text(tail(f.message) or "(no output)"), id="failure-message")
            yield Static(Text.assemble(("Hint: ", "bold yellow"), hint(f)),
                         id="failure-hint")
            with Horizontal(classes="button-row"):
                yield Button("Full log (l)", id="failure-log", compact=True)
                yield Button("Retry (r)", id="failure-retry", compact=True,
                             variant="primary")
                yield Button("Quit (q)", id="failure-quit", compact=True)
                yield Button("Dismiss (esc)", id="failure-dismiss", compact=True)

    @on(Button.Pressed, "#failure-log")
    def action_log(self) -> None:
        self.app.push_screen(LogScreen(self.log_file))

    @on(Button.Pressed, "#failure-retry", )
    def retry(self) -> None:
        self.dismiss("retry")

    @on(Button.Pressed, "#failure-quit")
    def quit(self) -> None:
        self.dismiss("quit")

    @on(Button.Pressed, "#failure-dismiss")
    def close(self) -> None:
        self.dismiss("dismiss")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)


class LogScreen(ModalScreen[None]):
    """The run's full ansible.log (its end), read in a worker."""

    BINDINGS = [Binding("escape,q", "close", "Close")]

    def __init__(self, path: Path) -> None:
        super().__init__(classes="install-modal")
        self.path = path

    def compose(self) -> ComposeResult:
        with Vertical(id="log-panel"):
            yield Static(Text(f"{self.path}   (Esc closes)", style="bold"), id="log-title")
            yield Log(id="log-text", highlight=False)

    def on_mount(self) -> None:
        self.read(self.path)

    @work(thread=True, exclusive=True)
    def read(self, path: Path) -> None:
        try:
            lines = path.read_text(errors="replace").splitlines()[-LOG_TAIL:]
            text = "\n".join(lines) if lines else f"{path} is empty"
        except OSError as err:
            text = f"cannot read {path}: {err}"
        self.post_message(LogLoaded(text))

    def on_log_loaded(self, message: LogLoaded) -> None:
        log = self.query_one("#log-text", Log)
        log.clear()
        log.write(message.text)
        log.focus()

    def action_close(self) -> None:
        self.dismiss(None)
