"""Deployment runs: each one a directory and a process of its own.

A run's directory holds `run.json` (what was asked, the worker's pid, the outcome),
`events.jsonl` (typed events, appended as they happen), `ansible.log` (the worker's
full output) and ansible-runner's artifacts. The worker runs in its own session, so
closing the terminal or the TUI that started it never stops a deployment; anyone can
follow it again from the files (`haneul attach`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from installer.events import Event, RunFinished, from_json, to_json

RUNNING = "running"


def runs_dir() -> Path:
    env = os.environ.get("HANEUL_RUNS_DIR")
    return Path(env) if env else Path.home() / ".local" / "share" / "haneul" / "runs"


@dataclass
class RunInfo:
    id: str
    action: str
    inventory: str
    limit: str | None = None
    check: bool = False
    extravars: dict[str, str] = field(default_factory=dict)
    created: str = ""
    pid: int | None = None
    status: str = "pending"  # pending, running, successful, failed, canceled, interrupted
    rc: int | None = None
    finished: str | None = None


class Run:
    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def id(self) -> str:
        return self.path.name

    @property
    def events_file(self) -> Path:
        return self.path / "events.jsonl"

    @property
    def log_file(self) -> Path:
        return self.path / "ansible.log"

    def info(self) -> RunInfo:
        info = RunInfo(**json.loads((self.path / "run.json").read_text()))
        if info.pid is None and (self.path / "worker.pid").exists():
            info.pid = int((self.path / "worker.pid").read_text())
        if info.status in (RUNNING, "pending") and info.pid and not _alive(info.pid):
            info.status = "interrupted"  # the worker died without writing its outcome
        return info

    def save(self, info: RunInfo) -> None:
        tmp = self.path / "run.json.tmp"
        tmp.write_text(json.dumps(asdict(info), indent=1, sort_keys=True))
        tmp.replace(self.path / "run.json")

    def append(self, event: Event) -> None:
        with self.events_file.open("a") as out:
            out.write(to_json(event) + "\n")

    # A run is itself a reporter: the worker's events go straight to its file.
    event = append

    def events(self) -> list[Event]:
        if not self.events_file.exists():
            return []
        return [from_json(line) for line in self.events_file.read_text().splitlines() if line]

    def follow(self, poll: float = 0.2,
               stop: Callable[[], bool] = lambda: False) -> Iterator[Event]:
        """Every event of the run, old ones first, until the run finishes or dies, or
        ``stop()`` says the follower is leaving (the run itself goes on)."""
        offset = 0
        while not stop():
            finished = False
            if self.events_file.exists():
                with self.events_file.open() as src:
                    src.seek(offset)
                    while (line := src.readline()).endswith("\n"):
                        offset = src.tell()
                        event = from_json(line)
                        finished = finished or isinstance(event, RunFinished)
                        yield event
            if finished:
                return
            info = self.info()
            if info.status not in (RUNNING, "pending"):
                if info.status == "interrupted":
                    yield RunFinished(status="interrupted", rc=info.rc or 1)
                return
            time.sleep(poll)


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as gone.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def create(action: str, inventory: Path, limit: str | None = None, check: bool = False,
           extravars: dict[str, str] | None = None, base: Path | None = None) -> Run:
    base = base or runs_dir()
    base.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    stamp = now.strftime("%Y%m%d-%H%M%S")
    for n in range(100):
        path = base / (f"{stamp}-{action}" + (f"-{n}" if n else ""))
        try:
            path.mkdir(mode=0o700)
            break
        except FileExistsError:
            continue
    else:
        raise RuntimeError(f"cannot create a run directory in {base}")
    run = Run(path)
    run.save(RunInfo(id=run.id, action=action, inventory=str(inventory.resolve()),
                     limit=limit, check=check, extravars=dict(extravars or {}),
                     created=now.isoformat(timespec="seconds")))
    return run


def start_detached(run: Run) -> int:
    """Start the run's worker in a session of its own; it outlives whoever started it.

    Only the worker writes run.json from here on (its pid first), so the outcome it
    records can never be overwritten by its starter.
    """
    with run.log_file.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "installer.worker", str(run.path)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True,
            cwd=str(Path(__file__).resolve().parent.parent))
    (run.path / "worker.pid").write_text(str(proc.pid))
    return proc.pid


def list_runs(base: Path | None = None) -> list[Run]:
    base = base or runs_dir()
    if not base.is_dir():
        return []
    return [Run(p) for p in sorted(base.iterdir()) if (p / "run.json").exists()]


def find(run_id: str | None, base: Path | None = None) -> Run:
    runs = list_runs(base)
    if not runs:
        raise LookupError(f"no deployment runs in {base or runs_dir()}")
    if run_id is None:
        return runs[-1]
    for run in runs:
        if run.id == run_id or run.id.startswith(run_id):
            return run
    raise LookupError(f"no run {run_id!r}; `haneul runs` lists them")
