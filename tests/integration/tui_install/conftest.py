"""Install mode under Textual's pilot: a tiny host app, a replaying backend, a fake SSH
checker (nothing connects anywhere) and a clock that only moves when told."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from textual.app import App
from textual.pilot import Pilot

from installer.events import Event, HostResult, RunFinished, Stats, from_json, to_json
from tui.install.app import InstallMode
from tui.install.messages import InstallFinished
from tui.install.replay import ReplayBackend
from tui.install.ssh import SshResult

REPO = Path(__file__).resolve().parents[3]  # the checkout

RECORDINGS = REPO / "tests" / "fixtures" / "installer-runs"
DEADLINE = 10.0


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class FakeChecker:
    """Hosts whose address is in `refuse` fail; every call is recorded."""

    refuse: dict[str, str] = field(default_factory=dict)
    calls: list[tuple[str, str, int, str]] = field(default_factory=list)

    def check(self, address: str, user: str, port: int, key_file: str) -> SshResult:
        self.calls.append((address, user, port, key_file))
        if address in self.refuse:
            return SshResult(False, self.refuse[address])
        return SshResult(True, "ok (Python 3.11.2)")


class HostApp(App[None]):
    """Stands in for the real app: pushes install mode, records InstallFinished."""

    def __init__(self, make: Callable[[], InstallMode]) -> None:
        super().__init__()
        self.make = make
        self.finished: InstallFinished | None = None

    def on_mount(self) -> None:
        self.push_screen(self.make())

    def on_install_finished(self, message: InstallFinished) -> None:
        self.finished = message


async def wait_for(pilot: Pilot[None], condition: Callable[[], object],
                   what: str = "condition") -> None:
    """Let the app run until `condition()` holds, failing after DEADLINE seconds."""
    end = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


def install_screen(pilot: Pilot[None]) -> InstallMode:
    screen = next(s for s in pilot.app.screen_stack if isinstance(s, InstallMode))
    return screen


def write_recording(where: Path, events: Sequence[Event], status: str, log: str = "",
                    action: str = "preflight") -> Path:
    """A run directory shaped like installer.runs', for runs no fixture recorded."""
    where.mkdir(parents=True, exist_ok=True)
    (where / "events.jsonl").write_text("".join(to_json(e) + "\n" for e in events))
    (where / "ansible.log").write_text(log)
    (where / "run.json").write_text(json.dumps({
        "id": where.name, "action": action, "inventory": "", "limit": None,
        "check": False, "extravars": {}, "created": "2026-01-01T00:00:00+00:00",
        "pid": None, "status": status, "rc": 0 if status == "successful" else 2,
        "finished": "2026-01-01T00:00:30+00:00"}))
    return where


def recorded(name: str) -> list[Event]:
    return [from_json(line) for line in
            (RECORDINGS / name / "events.jsonl").read_text().splitlines() if line]


def preflight_events(events: list[Event]) -> list[Event]:
    """The preflight play of a recorded deploy (its events up to the first recap)."""
    out: list[Event] = []
    for event in events:
        out.append(event)
        if isinstance(event, Stats):
            break
    return out


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Inventories and secrets default to ~/.config: keep them in the test's dir."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def runs(tmp_path: Path) -> dict[str, Path]:
    return make_runs(tmp_path / "recordings")


def make_runs(base: Path) -> dict[str, Path]:
    """Recordings: the three real ones, and preflights cut from the real first deploy."""
    passing = preflight_events(recorded("first-deploy"))
    failing = [e for e in passing if not isinstance(e, Stats)] + [
        HostResult(host="aio", task="Enough memory", status="failed",
                   message="aio: memory: found 512 MB, need 1536 MB. Fix: give the "
                           "host more memory."),
        RunFinished(status="failed", rc=2)]
    out = {name: shutil.copytree(RECORDINGS / name, base / name)
           for name in ("first-deploy", "rerun-deploy", "failed-deploy")}
    (out["failed-deploy"] / "ansible.log").write_text(
        "TASK [haneul_host : Stop the supervised services]\n"
        "failed: [aio] (item=api) => {\"msg\": \"haneul daemon stop: no pidfile\"}\n")
    out["preflight-ok"] = write_recording(
        base / "preflight-ok", [*passing, RunFinished(status="successful", rc=0)],
        "successful")
    out["preflight-failed"] = write_recording(base / "preflight-failed", failing, "failed")
    return out


@pytest.fixture
def gate() -> threading.Event:
    return threading.Event()


def backend_for(runs: dict[str, Path], preflight: list[str] | None = None,
                deploy: list[str] | None = None, **kw: object) -> ReplayBackend:
    return ReplayBackend(scripts={
        "preflight": [runs[n] for n in (preflight or ["preflight-ok"])],
        "deploy": [runs[n] for n in (deploy or ["first-deploy"])]}, **kw)  # type: ignore[arg-type]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # Textual runs on asyncio
