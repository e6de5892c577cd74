"""Step: preflight — every check on every host, and the fix for each failure."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Static

from installer.events import Event
from tui.install.runstate import Check, checks, failing
from tui.install.steps.running import RunStep


class PreflightStep(RunStep):
    TITLE = "Preflight"
    NEXT_LABEL = "Deploy"
    ACTION = "preflight"
    BINDINGS = [Binding("r", "rerun", "Run again")]
    redraw_pending = False

    def compose(self) -> ComposeResult:
        with Horizontal(classes="status-row"):
            yield Static("", id="preflight-status")
            yield Button("Run again (r)", id="preflight-rerun", compact=True)
        with VerticalScroll(id="checks-view", can_focus=True):
            yield Static("", id="checks")

    def reset(self) -> None:
        self.query_one("#preflight-status", Static).update("Starting the preflight…")
        self.query_one("#checks", Static).update("")

    def event(self, event: Event, line: str | None) -> None:
        if self.view is not None and self.view.finished is not None:
            self.render_checks()
        elif not self.redraw_pending:  # at most 10 redraws a second
            self.redraw_pending = True
            self.set_timer(0.1, self.render_checks)

    def render_checks(self) -> None:
        self.redraw_pending = False
        if self.view is None or self.run is None:
            return
        found = checks(self.seen)
        bad = failing(found)
        status = self.query_one("#preflight-status", Static)
        if self.view.finished is None:
            status.update(Text(f"Checking… {len(found)} checks so far"))
        elif bad:
            status.update(Text(f"{len(bad)} of {len(found)} checks failed: fix them, "
                               "then run it again", style="bold red"))
        elif self.view.failed:
            status.update(Text(f"The preflight stopped ({self.view.finished.status}); "
                               "run it again", style="bold red"))
        else:
            status.update(Text(f"All {len(found)} checks passed", style="bold green"))
        self.query_one("#checks", Static).update(render(found))

    def error(self, text: str) -> None:
        self.query_one("#preflight-status", Static).update(Text(text, style="bold red"))

    def can_leave(self) -> bool:
        return self.view is not None and self.view.finished is not None \
            and not self.view.failed

    def save(self) -> list[str]:
        if self.running:
            return ["the preflight is still running"]
        if not self.can_leave():
            return ["the preflight has not passed: fix what failed, then run it again (r)"]
        return []

    @on(Button.Pressed, "#preflight-rerun")
    def action_rerun(self) -> None:
        if not self.running:
            self.start()


def render(found: list[Check]) -> Text:
    """Failures first, each with its fix; then what passed, one line each."""
    text = Text()
    for check in failing(found):
        text.append(f"✗ {check.host}  {check.task}\n", style="bold red")
        if check.problem:
            text.append(f"    {check.problem}\n")
        if check.fix:
            text.append("    Fix: ", style="bold yellow")
            text.append(f"{check.fix}\n")
    for check in found:
        if check.status not in ("failed", "unreachable"):
            mark = "·" if check.status == "skipped" else "✓"
            text.append(f"{mark} {check.host}  {check.task}\n",
                        style="dim" if check.status == "skipped" else "green")
    return text
