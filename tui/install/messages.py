"""Messages of the install mode: workers report with these, never by touching widgets."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from installer.events import Event
from tui.install.backend import Estimate, RunRef
from tui.install.ssh import SshResult
from tui.install.state import WizardState


class InstallFinished(Message):
    """Posted to the app when the operator asks for manage mode after a deployment."""

    def __init__(self, cloud: str, clouds_yaml: str = "") -> None:
        super().__init__()
        self.cloud = cloud
        self.clouds_yaml = clouds_yaml


class Advance(Message):
    """A step has finished its work (asynchronously) and the wizard may go on."""


@dataclass(eq=False)
class SshChecked(Message):
    host: str
    address: str
    result: SshResult


@dataclass(eq=False)
class InventoryLoaded(Message):
    state: WizardState | None
    error: str = ""
    # Loaded from the hosts step: stay there (its hosts get their SSH tests).
    from_hosts: bool = False


@dataclass(eq=False)
class InventoryWritten(Message):
    errors: list[str]


@dataclass(eq=False)
class RunStarted(Message):
    run: RunRef
    estimate: Estimate | None


@dataclass(eq=False)
class RunEvent(Message):
    run_id: str
    event: Event


@dataclass(eq=False)
class RunError(Message):
    """Starting or following a run failed (not the run itself)."""

    error: str


@dataclass(eq=False)
class Reattach(Message):
    run: RunRef
    state: WizardState | None


@dataclass(eq=False)
class LogLoaded(Message):
    text: str


class NavChanged(Message):
    """A step's readiness changed (a run finished): the screen redraws its buttons."""
