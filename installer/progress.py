"""Progress reporters: what `haneul deploy` and `haneul attach` print.

`Progress` folds events into per-host state (current task, counts, elapsed); the
reporters only render it. On a terminal the display is a block of lines redrawn in
place, one per host plus a bar for the whole run; elsewhere (CI logs, pipes) it is one
line per finished task and host, so logs stay readable. `JsonReporter` prints one event
per line for machines.
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass, field
from typing import TextIO

from installer.events import (
    Event,
    HostResult,
    HostStats,
    PlayStarted,
    RunFinished,
    Stats,
    TaskStarted,
    to_json,
)


@dataclass
class HostProgress:
    task: str = ""
    ok: int = 0
    changed: int = 0
    failed: int = 0
    skipped: int = 0
    unreachable: bool = False


@dataclass
class Progress:
    """The state of a run as seen through its events."""

    started: float = field(default_factory=time.monotonic)
    hosts: dict[str, HostProgress] = field(default_factory=dict)
    play: str = ""
    results: int = 0
    # Results the previous run of the same action produced: the bar's 100%.
    expected: int | None = None
    failures: list[HostResult] = field(default_factory=list)
    finished: RunFinished | None = None
    # Ansible's own recap of the playbooks finished so far, summed per host.
    totals: dict[str, HostStats] = field(default_factory=dict)

    def apply(self, event: Event) -> None:
        if isinstance(event, PlayStarted):
            self.play = event.name
        elif isinstance(event, TaskStarted):
            self.hosts.setdefault(event.host, HostProgress()).task = event.task
        elif isinstance(event, HostResult):
            host = self.hosts.setdefault(event.host, HostProgress())
            self.results += 1
            if event.status == "unreachable":
                host.unreachable = True
                self.failures.append(event)
            elif event.status == "failed":
                host.failed += 1
                self.failures.append(event)
            elif event.status == "changed":
                host.changed += 1
                host.ok += 1
            else:
                setattr(host, event.status, getattr(host, event.status) + 1)
        elif isinstance(event, Stats):
            # The recap is authoritative (it counts handlers and items the same way
            # Ansible does): the live counts restart from it.
            for name, stats in event.hosts.items():
                self.totals[name] = HostStats(**{
                    key: getattr(self.totals.get(name, HostStats()), key) + value
                    for key, value in asdict(stats).items()})
            for name, total in self.totals.items():
                host = self.hosts.setdefault(name, HostProgress())
                host.ok, host.changed, host.failed = total.ok, total.changed, total.failed
                host.skipped, host.unreachable = total.skipped, bool(total.unreachable)
        elif isinstance(event, RunFinished):
            self.finished = event

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def fraction(self) -> float | None:
        if self.finished is not None:
            return 1.0
        if not self.expected:
            return None
        return min(self.results / self.expected, 0.99)


def clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"


def host_line(name: str, host: HostProgress, width: int) -> str:
    counts = f"ok={host.ok} changed={host.changed} failed={host.failed}"
    state = "UNREACHABLE" if host.unreachable else host.task
    line = f"{name:<14.14} {counts:<28} {state}"
    return line[:width]


def bar(fraction: float | None, width: int) -> str:
    if fraction is None:
        return ""
    filled = int(fraction * width)
    return "[" + "#" * filled + "." * (width - filled) + f"] {fraction * 100:3.0f}%"


class TerminalReporter:
    """Redraws a block of lines in place (only on a terminal)."""

    def __init__(self, progress: Progress, out: TextIO = sys.stdout) -> None:
        self.progress, self.out = progress, out
        self._drawn = 0
        self._last = 0.0

    def event(self, event: Event) -> None:
        self.progress.apply(event)
        now = time.monotonic()
        if isinstance(event, (RunFinished, PlayStarted, Stats)) or now - self._last > 0.1:
            self._last = now
            self.draw()

    def draw(self) -> None:
        p = self.progress
        width = 100
        lines = [f"{p.play[:60]}  {clock(p.elapsed)}  {bar(p.fraction(), 30)}"]
        lines += [host_line(name, h, width) for name, h in sorted(p.hosts.items())]
        if self._drawn:
            self.out.write(f"\x1b[{self._drawn}F")
        for line in lines:
            self.out.write("\x1b[2K" + line + "\n")
        self._drawn = len(lines)
        self.out.flush()


class LineReporter:
    """One line per host result worth reading: changes, failures, plays."""

    def __init__(self, progress: Progress, out: TextIO = sys.stdout) -> None:
        self.progress, self.out = progress, out

    def event(self, event: Event) -> None:
        self.progress.apply(event)
        stamp = clock(self.progress.elapsed)
        if isinstance(event, PlayStarted):
            self.out.write(f"[{stamp}] PLAY {event.name}\n")
        elif isinstance(event, HostResult) and event.status in ("changed", "failed",
                                                               "unreachable"):
            self.out.write(f"[{stamp}] {event.host}: {event.status} — {event.task}\n")
        self.out.flush()


class JsonReporter:
    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out

    def event(self, event: Event) -> None:
        self.out.write(to_json(event) + "\n")
        self.out.flush()


def summary(progress: Progress) -> str:
    """The closing lines: per-host counts, then every failure with its message."""
    lines = []
    for name, host in sorted(progress.hosts.items()):
        lines.append(f"{name}: ok={host.ok} changed={host.changed} failed={host.failed} "
                     f"skipped={host.skipped}" + (" UNREACHABLE" if host.unreachable else ""))
    for failure in progress.failures:
        lines.append(f"\nFAILED on {failure.host}: {failure.task}")
        if failure.message:
            lines.extend("    " + line for line in failure.message.splitlines())
    if progress.finished is not None:
        lines.append(f"\n{progress.finished.status} in {clock(progress.elapsed)}")
    return "\n".join(lines)
