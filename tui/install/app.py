"""Install mode: the wizard that turns answers into an inventory and a running cloud.

`InstallMode` is a Screen the app pushes (it works on any App). It owns the flow: which
steps there are for the chosen kind of cloud, Back/Next (buttons, or Ctrl+B/Ctrl+N from
anywhere), and reattaching to a deployment still running from an earlier session. The
steps own their pages (tui.install.steps); all I/O runs in workers.
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, ContentSwitcher, Footer, Static

from installer.inventory import parse
from tui.install.backend import InstallerBackend, RunsBackend, latest_running
from tui.install.messages import (
    Advance,
    InstallFinished,
    InventoryLoaded,
    NavChanged,
    Reattach,
)
from tui.install.runstate import Clock
from tui.install.ssh import ParamikoChecker, SshChecker
from tui.install.state import WizardState, all_in_one, from_inventory
from tui.install.steps.base import Context, Step
from tui.install.steps.deploy import DeployStep
from tui.install.steps.hosts import HostsStep
from tui.install.steps.kind import KindStep
from tui.install.steps.networks import NetworksStep
from tui.install.steps.preflight import PreflightStep
from tui.install.steps.review import ReviewStep
from tui.install.steps.roles import RolesStep
from tui.install.steps.services import ServicesStep
from tui.install.steps.storage import StorageStep
from tui.install.steps.summary import SummaryStep

__all__ = ["InstallFinished", "InstallMode"]

STEPS: tuple[tuple[str, type[Step]], ...] = (
    ("kind", KindStep), ("hosts", HostsStep), ("roles", RolesStep),
    ("networks", NetworksStep), ("storage", StorageStep), ("services", ServicesStep),
    ("review", ReviewStep), ("preflight", PreflightStep), ("deploy", DeployStep),
    ("summary", SummaryStep),
)
MULTI_ONLY = {"hosts", "roles"}  # the all-in-one host has every role, here


class InstallMode(Screen[None]):
    CSS_PATH = "install.tcss"
    BINDINGS = [
        Binding("ctrl+n", "next", "Next", priority=True),
        Binding("ctrl+b", "back", "Back", priority=True),
    ]

    def __init__(self, inventory: Path | None = None, *,
                 backend: InstallerBackend | None = None,
                 checker: SshChecker | None = None, clock: Clock | None = None) -> None:
        super().__init__(classes="install-mode")
        self.inventory = inventory
        self.ctx = Context(state=all_in_one(), backend=backend or RunsBackend(),
                           checker=checker or ParamikoChecker(),
                           clock=clock or time.monotonic)
        self.current = "kind"

    def compose(self) -> ComposeResult:
        yield Static("", id="stepbar")
        with ContentSwitcher(initial="kind", id="wizard"):
            for name, cls in STEPS:
                yield cls(self.ctx, id=name)
        yield Static("", id="problems")
        with Horizontal(id="nav"):
            yield Button("Back", id="back", compact=True)
            yield Button("Next", id="next", compact=True, variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.goto("kind")
        self.starting(self.inventory)

    @property
    def state(self) -> WizardState:
        return self.ctx.state

    def order(self) -> list[str]:
        return [name for name, _ in STEPS
                if self.state.mode == "multi" or name not in MULTI_ONLY]

    def step(self, name: str | None = None) -> Step:
        return self.query_one(f"#{name or self.current}", Step)

    # -- starting: reattach to a running deployment, or load the given inventory ------

    @work(thread=True, exclusive=True, group="starting")
    def starting(self, inventory: Path | None) -> None:
        try:
            running = latest_running(self.ctx.backend)
        except Exception as err:  # unreadable runs: the wizard still starts
            self.post_message(InventoryLoaded(None, f"cannot list deployment runs: {err}"))
            running = None
        if running is not None:
            try:
                state: WizardState | None = from_inventory(parse(Path(running.inventory)))
            except Exception:
                state = None  # the run goes on; only the summary lacks its details
            self.post_message(Reattach(running, state))
        elif inventory is not None:
            try:
                self.post_message(InventoryLoaded(from_inventory(parse(inventory))))
            except Exception as err:  # InventoryError, or a value of the wrong type
                self.post_message(InventoryLoaded(None, str(err)))

    def on_reattach(self, message: Reattach) -> None:
        if message.state is not None:
            self.ctx.state = message.state
        self.ctx.attach = message.run
        self.notify(f"reattached to {message.run.action} run {message.run.id}, "
                    "still running", markup=False)
        self.goto("preflight" if message.run.action == "preflight" else "deploy")

    def on_inventory_loaded(self, message: InventoryLoaded) -> None:
        if message.state is None:
            self.show_problems([line.strip().removeprefix("- ")
                                for line in message.error.splitlines() if line.strip()])
            return
        self.ctx.state = message.state
        self.notify(f"loaded {message.state.inventory_path}", markup=False)
        if message.from_hosts and message.state.mode == "multi":
            self.goto("hosts")  # its hosts are tested; the operator goes on from there
        else:
            # An inventory given at the start opens at its review; Back reaches the rest.
            self.goto("review")

    # -- moving between steps --------------------------------------------------------

    def goto(self, name: str) -> None:
        self.current = name
        self.query_one("#wizard", ContentSwitcher).current = name
        self.show_problems([])
        self.step().load()
        self.refresh_nav()
        self.call_after_refresh(self.focus_step)

    def focus_step(self) -> None:
        step = self.step()
        for widget in step.query("*"):
            if widget.focusable:
                widget.focus()
                return
        self.query_one("#next", Button).focus()

    def refresh_nav(self) -> None:
        order = self.order()
        index = order.index(self.current) if self.current in order else 0
        bar = Text()
        # Ten steps do not fit 80 columns with roomy separators.
        wide = sum(len(dict(STEPS)[n].TITLE) + 3 for n in order) < self.size.width - 2
        for n, name in enumerate(order):
            if n:
                bar.append(" > " if wide else ">", style="dim")
            title = dict(STEPS)[name].TITLE
            bar.append(title, style="bold reverse" if name == self.current else
                       ("" if n < index else "dim"))
        self.query_one("#stepbar", Static).update(bar)
        step = self.step()
        back, forward = self.query_one("#back", Button), self.query_one("#next", Button)
        back.disabled = index == 0 or not step.can_go_back()
        forward.label = step.NEXT_LABEL
        forward.disabled = not step.can_leave()
        forward.display = name_has_next(self.current)

    def show_problems(self, problems: list[str]) -> None:
        box = self.query_one("#problems", Static)
        # Text, not markup: messages quote paths and program output.
        box.update(Text("\n".join(f"• {p}" for p in problems)))
        box.display = bool(problems)

    def action_next(self) -> None:
        step = self.step()
        if not name_has_next(self.current) or not step.can_leave():
            return
        problems = step.save()
        self.show_problems(problems)
        if not problems and step.proceed():
            self.advance()

    def advance(self) -> None:
        order = self.order()
        index = order.index(self.current)
        if index + 1 < len(order):
            self.goto(order[index + 1])

    def action_back(self) -> None:
        step = self.step()
        order = self.order()
        if not step.can_go_back() or self.current not in order:
            return
        step.save()  # keep what was typed, even if not yet valid
        index = order.index(self.current)
        if index > 0:
            self.goto(order[index - 1])

    @on(Button.Pressed, "#next")
    def next_pressed(self) -> None:
        self.action_next()

    @on(Button.Pressed, "#back")
    def back_pressed(self) -> None:
        self.action_back()

    def on_resize(self) -> None:
        self.refresh_nav()  # the step bar is abbreviated on narrow terminals

    def on_advance(self, message: Advance) -> None:
        message.stop()
        self.advance()

    def on_nav_changed(self, message: NavChanged) -> None:
        message.stop()
        self.refresh_nav()


def name_has_next(name: str) -> bool:
    """The deploy step moves on by itself when the run succeeds."""
    return name != "deploy"
