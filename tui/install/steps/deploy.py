"""Step: deploy — live progress per host, a bar for the run, the log; on failure a
panel that stays until dismissed."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, ProgressBar, RichLog, Static

from installer.events import Event, HostResult
from installer.progress import clock
from tui.install.messages import Advance
from tui.install.panels import FailurePanel, LogScreen
from tui.install.steps.running import RunStep

COLUMNS = ("Host", "Current task", "ok", "chg", "fail", "elapsed", "results")


class DeployStep(RunStep):
    TITLE = "Deploy"
    ACTION = "deploy"
    BINDINGS = [
        Binding("l", "log", "Full log"),
        Binding("r", "retry", "Retry"),
        Binding("f", "failure", "Failure"),
    ]
    redraw_pending = False  # a redraw is scheduled (events come in bursts)

    def follows(self, action: str) -> bool:
        # Any action that changes hosts (a reconfigure started from the CLI, say) is
        # followed here; only a preflight has its own step.
        return action != "preflight"

    def compose(self) -> ComposeResult:
        with Horizontal(classes="status-row"):
            yield Static("", id="deploy-status")
            yield Button("Retry (r)", id="deploy-retry", compact=True)
        yield ProgressBar(total=100, show_eta=False, id="deploy-bar")
        yield DataTable(id="deploy-hosts", cursor_type="row")
        yield RichLog(id="deploy-log", max_lines=1000, wrap=False, markup=False)

    def on_mount(self) -> None:
        self.query_one("#deploy-hosts", DataTable).add_columns(*COLUMNS)
        # Elapsed times move on while a long task runs without events.
        self.set_interval(1.0, self.tick)

    def reset(self) -> None:
        self.query_one("#deploy-status", Static).update("Starting the deployment…")
        self.query_one("#deploy-hosts", DataTable).clear()
        self.query_one("#deploy-retry", Button).display = False
        self.query_one("#deploy-bar", ProgressBar).update(total=100, progress=0)

    def started(self) -> None:
        if self.run is not None:
            self.query_one("#deploy-log", RichLog).write(
                f"run {self.run.id}: {self.run.action} of {Path(self.run.inventory).name}")
        self.redraw()

    def tick(self) -> None:
        if self.view is not None and self.view.finished is None:
            self.redraw()

    def event(self, event: Event, line: str | None) -> None:
        if line is not None:
            self.query_one("#deploy-log", RichLog).write(line)
        view = self.view
        if view is None or view.finished is None:
            # Reattaching replays a whole history at once: redraw at most 10 times a
            # second, not once per event.
            if not self.redraw_pending:
                self.redraw_pending = True
                self.set_timer(0.1, self.redraw)
            return
        self.redraw()
        self.query_one("#deploy-retry", Button).display = view.failed
        if view.failed:
            self.action_failure()
        else:
            self.post_message(Advance())

    def error(self, text: str) -> None:
        self.query_one("#deploy-status", Static).update(Text(text))
        self.query_one("#deploy-log", RichLog).write(text)
        self.query_one("#deploy-retry", Button).display = True

    def redraw(self) -> None:
        self.redraw_pending = False
        view = self.view
        if view is None:
            return
        fraction = view.fraction()
        bar = self.query_one("#deploy-bar", ProgressBar)
        if fraction is None:
            # No estimate: a bar that moves while the run does, and stops when it ends.
            bar.update(total=None if view.finished is None else 100, progress=0)
        else:
            bar.update(total=100, progress=round(fraction * 100))
        eta = view.eta()
        state = view.finished.status if view.finished else "running"
        status = f"{state} · {view.progress.play or '…'} · {clock(view.elapsed())}"
        if view.finished is None:
            status += f" · ~{clock(eta)} left" if eta is not None else \
                " · no estimate (first run)"
        self.query_one("#deploy-status", Static).update(Text(status))
        table = self.query_one("#deploy-hosts", DataTable)
        table.clear()
        # The task gets what the other columns leave (80 columns: about 30).
        task_width = max(self.size.width - 50, 20)
        for row in view.rows():
            cells = (row.name, row.task[:task_width], str(row.ok), str(row.changed),
                     str(row.failed), row.elapsed, row.estimate)
            table.add_row(*map(Text, cells), key=row.name)  # Text: task names are not markup

    @on(Button.Pressed, "#deploy-retry")
    def action_retry(self) -> None:
        # Every task is idempotent: starting the action again resumes it. (A run this
        # step reattached to may be another action than deploy: that one again.)
        if not self.running:
            self.start(self.run.action if self.run is not None else None)

    def action_log(self) -> None:
        if self.run is not None:
            self.app.push_screen(LogScreen(self.run.log_file))

    def action_failure(self) -> None:
        view, run = self.view, self.run
        if view is None or run is None or not view.failed:
            return
        status = view.finished.status if view.finished else "failed"
        failure = view.last_failure() or HostResult(
            host="localhost", task="(the run)", status="failed",
            message=f"the run ended {status} before any task failed")
        self.app.push_screen(FailurePanel(failure, run.log_file, status), self.chosen)

    def chosen(self, choice: str | None) -> None:
        if choice == "retry":
            self.action_retry()
        elif choice == "quit":
            self.app.exit()
