"""What every wizard step shares: the context it works in and its small contract."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.containers import Vertical

from tui.install.backend import InstallerBackend, RunRef
from tui.install.runstate import Clock
from tui.install.ssh import SshChecker
from tui.install.state import WizardState


@dataclass
class Context:
    """Shared by the steps of one install mode; `state` may be replaced (a load)."""

    state: WizardState
    backend: InstallerBackend
    checker: SshChecker
    clock: Clock
    # A run found running at start: the preflight or deploy step follows it.
    attach: RunRef | None = None


class Step(Vertical):
    """A page of the wizard. The screen calls `load` when it shows the step, `save`
    when leaving it (problems keep the operator here), then `proceed`."""

    TITLE: ClassVar[str] = ""
    NEXT_LABEL: ClassVar[str] = "Next"

    def __init__(self, ctx: Context, *, id: str) -> None:
        super().__init__(id=id, classes="step")
        self.ctx = ctx

    def load(self) -> None:
        """Show the state in the widgets."""

    def save(self) -> list[str]:
        """Read the widgets into the state; what must change before going on."""
        return []

    def proceed(self) -> bool:
        """True to go on now; False if the step posts Advance when its work is done."""
        return True

    def can_leave(self) -> bool:
        """Whether Next is possible at all right now (e.g. not while a run goes on)."""
        return True

    def can_go_back(self) -> bool:
        return True
