"""Step 1: what kind of cloud — everything on this machine, or several hosts."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import RadioButton, RadioSet, Static

from tui.install.messages import NavChanged
from tui.install.state import Mode
from tui.install.steps.base import Step

AIO_TEXT = "All-in-one: everything on this machine (no SSH)"
MULTI_TEXT = "Several hosts, reached over SSH with keys"


class KindStep(Step):
    TITLE = "Type"

    def compose(self) -> ComposeResult:
        yield Static("What will this cloud run on?", classes="step-title")
        with RadioSet(id="kind"):
            yield RadioButton(AIO_TEXT, id="kind-aio", value=True)
            yield RadioButton(MULTI_TEXT, id="kind-multi")
        yield Static("All-in-one installs every service here, with SQLite; several "
                     "hosts use PostgreSQL on the control host, and each host gets the "
                     "roles you give it. Either way the wizard writes an inventory that "
                     "`haneul deploy -i` can run again unattended.", classes="help")

    def load(self) -> None:
        multi = self.ctx.state.mode == "multi"
        self.query_one("#kind-multi", RadioButton).value = multi
        self.query_one("#kind-aio", RadioButton).value = not multi

    def on_radio_set_changed(self) -> None:
        # The step bar shows the steps of the kind chosen, as soon as it is chosen.
        self.save()
        self.post_message(NavChanged())

    def save(self) -> list[str]:
        multi = self.query_one("#kind-multi", RadioButton).value
        mode: Mode = "multi" if multi else "aio"
        if mode != self.ctx.state.mode or not self.ctx.state.hosts:
            self.ctx.state.set_mode(mode)
        return []
