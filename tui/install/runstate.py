"""What the preflight and deploy steps show, folded from a run's events (no Textual).

installer.progress.Progress keeps the counts; this adds what a screen needs around
them: per-host elapsed time on an injectable clock (so snapshots are stable), an
estimate from the previous run, one log line per event worth reading, the checks of a
preflight with the fix for each failure, and a hint for a failed task.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from installer.events import Event, HostResult, PlayStarted, RunFinished, Stats, TaskStarted
from installer.progress import Progress, clock
from tui.install.backend import Estimate

Clock = Callable[[], float]
_FIX = re.compile(r"\s*\bFix:\s*", re.IGNORECASE)


@dataclass(frozen=True)
class HostRow:
    name: str
    task: str
    ok: int
    changed: int
    failed: int
    elapsed: str
    estimate: str


@dataclass
class RunView:
    clock: Clock = time.monotonic
    estimate: Estimate | None = None
    progress: Progress = field(init=False)
    host_started: dict[str, float] = field(default_factory=dict)
    host_results: dict[str, int] = field(default_factory=dict)
    stopped: float | None = None

    def __post_init__(self) -> None:
        self.progress = Progress(started=self.clock(),
                                 expected=self.estimate.results if self.estimate else None)

    def apply(self, event: Event) -> str | None:
        """Fold one event in; returns the log pane's line for it, if any."""
        self.progress.apply(event)
        now = self.clock()
        stamp = clock(now - self.progress.started)
        if isinstance(event, (TaskStarted, HostResult)):
            self.host_started.setdefault(event.host, now)
        if isinstance(event, PlayStarted):
            return f"[{stamp}] PLAY {event.name}"
        if isinstance(event, HostResult):
            self.host_results[event.host] = self.host_results.get(event.host, 0) + 1
            if event.status in ("changed", "failed", "unreachable"):
                first = event.message.splitlines()[0] if event.message else ""
                return f"[{stamp}] {event.host}: {event.status} — {event.task}" + (
                    f": {first}" if first else "")
        if isinstance(event, Stats):
            return f"[{stamp}] recap: " + ", ".join(
                f"{h} ok={s.ok} changed={s.changed} failed={s.failed}"
                for h, s in sorted(event.hosts.items()))
        if isinstance(event, RunFinished):
            self.stopped = now
            return f"[{stamp}] run {event.status} (rc={event.rc})"
        return None

    @property
    def finished(self) -> RunFinished | None:
        return self.progress.finished

    @property
    def failed(self) -> bool:
        return self.finished is not None and self.finished.status != "successful"

    def elapsed(self) -> float:
        return (self.stopped if self.stopped is not None else self.clock()) \
            - self.progress.started

    def fraction(self) -> float | None:
        # Progress says 1.0 for any finished run; a failed one stopped where it failed.
        if self.finished is not None and not self.failed:
            return 1.0
        expected = self.progress.expected
        return min(self.progress.results / expected, 0.99) if expected else None

    def eta(self) -> float | None:
        """Seconds left, from how long the previous run took."""
        fraction = self.fraction()
        if self.estimate is None or self.estimate.duration is None or fraction is None:
            return None
        return max(self.estimate.duration * (1 - fraction), 0.0)

    def rows(self) -> list[HostRow]:
        end = self.stopped if self.stopped is not None else self.clock()
        rows = []
        for name, host in sorted(self.progress.hosts.items()):
            if name == "localhost" and not host.failed:
                # The deployment host's own steps (preparing the run) only show when
                # they fail.
                continue
            started = self.host_started.get(name, end)
            rows.append(HostRow(name=name, task="UNREACHABLE" if host.unreachable
                                else host.task, ok=host.ok, changed=host.changed,
                                failed=host.failed, elapsed=clock(end - started),
                                estimate=self._host_estimate(name)))
        return rows

    def _host_estimate(self, name: str) -> str:
        expected = (self.estimate.per_host.get(name) if self.estimate else None)
        done = self.host_results.get(name, 0)
        if self.finished is not None:
            return "done" if not self.failed else f"{done} results"
        if not expected:
            return f"{done}/?"
        return f"{done}/{expected} {min(done / expected, 0.99):.0%}"

    def last_failure(self) -> HostResult | None:
        return self.progress.failures[-1] if self.progress.failures else None


@dataclass(frozen=True)
class Check:
    host: str
    task: str
    status: str
    problem: str = ""
    fix: str = ""


def split_fix(message: str) -> tuple[str, str]:
    """Preflight messages end in "Fix: …" (playbooks/preflight.yml)."""
    parts = _FIX.split(message, maxsplit=1)
    if len(parts) == 2:
        return parts[0].strip(), parts[1].strip()
    return message.strip(), ""


def hint(result: HostResult) -> str:
    """What to try next for a failed task."""
    if result.status == "unreachable":
        return (f"{result.host} cannot be reached over SSH: check its address, user and "
                "key (ssh USER@ADDRESS must work without a password), then retry.")
    _problem, fix = split_fix(result.message)
    if fix:
        return fix
    if result.host == "localhost":
        return "The deployment host could not prepare the run: read the full log."
    return ("Read the end of the output above and the full log (l); once the cause is "
            "fixed, retry (r): the deployment resumes, skipping what is already done.")


def checks(events: list[Event]) -> list[Check]:
    """A preflight's results, one per host and check; the last result of a task wins."""
    out: dict[tuple[str, str], Check] = {}
    for event in events:
        if isinstance(event, HostResult) and (event.task != "Gathering Facts"
                                              or event.status != "ok"):
            problem, fix = split_fix(event.message)
            if event.status == "unreachable":
                fix = fix or hint(event)
            out[(event.host, event.task)] = Check(event.host, event.task, event.status,
                                                  problem, fix)
    return list(out.values())


def failing(found: list[Check]) -> list[Check]:
    return [c for c in found if c.status in ("failed", "unreachable")]


def tail(text: str, lines: int = 12) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
