"""What the preflight and deploy steps share: start an action's run, or attach to one
found running, and follow its events from a worker."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.worker import get_current_worker

from installer.events import Event
from tui.install.backend import RunRef, previous_estimate
from tui.install.messages import NavChanged, RunError, RunEvent, RunStarted
from tui.install.runstate import RunView
from tui.install.steps.base import Context, Step


class RunStep(Step):
    ACTION: ClassVar[str] = ""

    def __init__(self, ctx: Context, *, id: str) -> None:
        super().__init__(ctx, id=id)
        self.run: RunRef | None = None
        self.view: RunView | None = None
        # The inventory text the last run was started for: a changed inventory reruns.
        self.started_for: str | None = None
        self.seen: list[Event] = []  # the current run's events so far

    def load(self) -> None:
        attach = self.ctx.attach
        if attach is not None and self.follows(attach.action):
            self.ctx.attach = None
            self.started_for = self.ctx.state.to_yaml()
            self.follow(None, attach)
        elif self.started_for != self.ctx.state.to_yaml():
            self.start()

    def start(self, action: str | None = None) -> None:
        self.started_for = self.ctx.state.to_yaml()
        self.run, self.view = None, None
        self.reset()
        self.follow(action or self.ACTION, None)

    def follows(self, action: str) -> bool:
        """Which runs found running this step shows when the TUI reattaches."""
        return action == self.ACTION

    @property
    def running(self) -> bool:
        return self.started_for is not None and (self.view is None
                                                 or self.view.finished is None)

    def can_go_back(self) -> bool:
        return not self.running

    @work(thread=True, exclusive=True, group="run")
    def follow(self, action: str | None, attach: RunRef | None) -> None:
        worker = get_current_worker()
        backend = self.ctx.backend
        try:
            run = attach or backend.start(str(action), self.ctx.state.inventory_path)
        except Exception as err:  # shown to the operator, who can retry
            self.post_message(RunError(f"cannot start {action}: {err}"))
            return
        try:
            estimate = previous_estimate(backend, run.action, run.inventory, before=run.id)
        except Exception:  # an unreadable old run costs the estimate, nothing more
            estimate = None
        self.post_message(RunStarted(run, estimate))
        try:
            for event in backend.follow(run, stop=lambda: worker.is_cancelled):
                self.post_message(RunEvent(run.id, event))
        except Exception as err:
            self.post_message(RunError(f"lost track of run {run.id}: {err}"))

    def on_run_started(self, message: RunStarted) -> None:
        message.stop()
        self.run = message.run
        self.view = RunView(clock=self.ctx.clock, estimate=message.estimate)
        self.seen = []
        self.started()
        self.post_message(NavChanged())

    def on_run_event(self, message: RunEvent) -> None:
        message.stop()
        if self.view is None or self.run is None or message.run_id != self.run.id:
            return  # an older run's late event
        self.seen.append(message.event)
        line = self.view.apply(message.event)
        self.event(message.event, line)
        if self.view.finished is not None:
            self.post_message(NavChanged())

    def on_run_error(self, message: RunError) -> None:
        message.stop()
        self.started_for = None  # so that showing the step again tries again
        self.error(message.error)
        self.post_message(NavChanged())

    # What each step shows.
    def reset(self) -> None: ...

    def started(self) -> None: ...

    def event(self, event: Event, line: str | None) -> None: ...

    def error(self, text: str) -> None: ...
