"""A fake installer backend that replays recorded runs (tests, demos).

A recording is a run directory as installer.runs writes it (run.json, events.jsonl,
ansible.log). `start(action, …)` hands out the next recording scripted for that action
(the last one repeats, so "retry" can fail again or, scripted so, succeed); `follow`
yields its events. A `gate` holds a replay after `hold_at` events until the test
releases it, which is how a test sees a deployment that is still running.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from installer.events import Event, RunFinished
from installer.runs import RUNNING, Run
from tui.install.backend import RunRef, never, ref_of

# Long enough for any test, short enough that a forgotten gate fails rather than hangs.
GATE_DEADLINE = 30.0


@dataclass
class ReplayBackend:
    scripts: dict[str, list[Path]] = field(default_factory=dict)
    gate: threading.Event | None = None
    hold_at: int = 0
    started: list[tuple[str, Path]] = field(default_factory=list)
    # Set when a follower gave up on a run still going (the TUI exited).
    let_go: threading.Event = field(default_factory=threading.Event)
    _runs: list[RunRef] = field(default_factory=list)
    _source: dict[str, Path] = field(default_factory=dict)

    def add_history(self, recording: Path, inventory: Path | str | None = None,
                    status: str | None = None, run_id: str | None = None) -> RunRef:
        """A run that exists before the TUI starts (a previous deploy, a running one)."""
        ref = ref_of(Run(recording))
        ref = replace(ref, id=run_id or ref.id, status=status or ref.status,
                      inventory=str(inventory) if inventory is not None else ref.inventory,
                      finished=None if status == RUNNING else ref.finished)
        self._runs.append(ref)
        self._source[ref.id] = recording
        return ref

    def start(self, action: str, inventory: Path) -> RunRef:
        queue = self.scripts.get(action)
        if not queue:
            raise RuntimeError(f"no recording scripted for {action!r}")
        recording = queue.pop(0) if len(queue) > 1 else queue[0]
        self.started.append((action, inventory))
        ref = RunRef(id=f"replay-{len(self.started):02d}-{action}", action=action,
                     inventory=str(inventory), status=RUNNING, path=recording,
                     created="2026-01-01T00:00:00+00:00")
        self._runs.append(ref)
        self._source[ref.id] = recording
        return ref

    def follow(self, run: RunRef, stop: Callable[[], bool] = never) -> Iterator[Event]:
        events = Run(self._source.get(run.id, run.path)).events()
        for n, event in enumerate(events):
            if self.gate is not None and n == self.hold_at:
                deadline = time.monotonic() + GATE_DEADLINE
                while not self.gate.wait(0.05):
                    if stop():
                        self.let_go.set()
                        return
                    if time.monotonic() > deadline:
                        raise TimeoutError("the replay gate was never opened")
            if stop():
                self.let_go.set()
                return
            yield event
            if isinstance(event, RunFinished):
                self._finish(run.id, event.status)

    def _finish(self, run_id: str, status: str) -> None:
        self._runs = [replace(r, status=status, finished="2026-01-01T00:01:00+00:00")
                      if r.id == run_id else r for r in self._runs]

    def runs(self) -> list[RunRef]:
        return list(self._runs)

    def events(self, run: RunRef) -> list[Event]:
        return Run(self._source.get(run.id, run.path)).events()
