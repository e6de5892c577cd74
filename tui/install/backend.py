"""The installer as the TUI sees it: start an action, follow a run, list the runs.

A deployment is a process of its own (installer.runs); the TUI only starts it and
follows its events, so closing the TUI never stops it. The protocol lets tests put a
replaying fake (tui.install.replay) in place of real runs. Every call may block (files,
processes): the screens call them from workers only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from installer.events import Event, HostResult
from installer.runs import RUNNING, Run, RunInfo, create, list_runs, start_detached


def never() -> bool:
    return False


@dataclass(frozen=True)
class RunRef:
    id: str
    action: str
    inventory: str
    status: str
    path: Path
    created: str = ""
    finished: str | None = None

    @property
    def log_file(self) -> Path:
        return self.path / "ansible.log"

    @property
    def duration(self) -> float | None:
        if not self.created or not self.finished:
            return None
        try:
            return (datetime.fromisoformat(self.finished)
                    - datetime.fromisoformat(self.created)).total_seconds()
        except ValueError:
            return None


def ref_of(run: Run, info: RunInfo | None = None) -> RunRef:
    info = info or run.info()
    return RunRef(id=run.id, action=info.action, inventory=info.inventory,
                  status=info.status, path=run.path, created=info.created,
                  finished=info.finished)


class InstallerBackend(Protocol):
    def start(self, action: str, inventory: Path) -> RunRef: ...

    def follow(self, run: RunRef, stop: Callable[[], bool] = never) -> Iterator[Event]:
        """Every event of the run, old ones first, until it finishes or ``stop()``."""
        ...

    def runs(self) -> list[RunRef]:
        """Every run, oldest first."""
        ...

    def events(self, run: RunRef) -> list[Event]: ...


class RunsBackend:
    """The real one: runs under installer.runs' directory (or ``base``)."""

    def __init__(self, base: Path | None = None, poll: float = 0.2) -> None:
        self.base, self.poll = base, poll

    def start(self, action: str, inventory: Path) -> RunRef:
        run = create(action, inventory, base=self.base)
        start_detached(run)
        return ref_of(run)

    def follow(self, run: RunRef, stop: Callable[[], bool] = never) -> Iterator[Event]:
        # A TUI that exits must not wait for a deployment: stop() lets the follower go.
        return Run(run.path).follow(self.poll, stop)

    def runs(self) -> list[RunRef]:
        return [ref_of(run) for run in list_runs(self.base)]

    def events(self, run: RunRef) -> list[Event]:
        return Run(run.path).events()


def latest_running(backend: InstallerBackend) -> RunRef | None:
    """The run to reattach to: the newest one still running."""
    running = [run for run in backend.runs() if run.status == RUNNING]
    return running[-1] if running else None


@dataclass(frozen=True)
class Estimate:
    """What the last successful run of the same action on the same inventory took."""

    results: int
    per_host: dict[str, int]
    duration: float | None


def previous_estimate(backend: InstallerBackend, action: str, inventory: str,
                      before: str | None = None) -> Estimate | None:
    for run in reversed(backend.runs()):
        if run.id == before or run.action != action or run.inventory != inventory \
                or run.status != "successful":
            continue
        per_host: dict[str, int] = {}
        for event in backend.events(run):
            if isinstance(event, HostResult):
                per_host[event.host] = per_host.get(event.host, 0) + 1
        return Estimate(results=sum(per_host.values()), per_host=per_host,
                        duration=run.duration)
    return None
