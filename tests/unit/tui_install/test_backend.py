"""The real backend over installer.runs' files, the replaying fake, the SSH checker."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from installer.events import HostResult, RunFinished, TaskStarted
from installer.runs import RUNNING, Run, create
from tui.install.backend import RunsBackend, latest_running, previous_estimate
from tui.install.replay import ReplayBackend

REPO = Path(__file__).resolve().parents[3]  # the checkout

RECORDINGS = REPO / "tests" / "fixtures" / "installer-runs"


def finished_run(base: Path, inventory: Path, status: str) -> Run:
    run = create("deploy", inventory, base=base)
    run.append(TaskStarted(host="aio", task="t"))
    run.append(HostResult(host="aio", task="t", status="ok"))
    run.append(RunFinished(status=status, rc=0 if status == "successful" else 2))
    info = run.info()
    info.status = status
    info.finished = info.created
    run.save(info)
    return run


def test_runs_backend_lists_follows_and_estimates(tmp_path: Path) -> None:
    inventory = tmp_path / "inv.yml"
    inventory.write_text("all: {}\n")
    finished_run(tmp_path / "runs", inventory, "successful")
    backend = RunsBackend(tmp_path / "runs", poll=0.01)
    [ref] = backend.runs()
    assert ref.status == "successful" and ref.duration == 0.0
    assert [type(e).__name__ for e in backend.follow(ref)] == \
        ["TaskStarted", "HostResult", "RunFinished"]
    estimate = previous_estimate(backend, "deploy", str(inventory.resolve()))
    assert estimate is not None and estimate.per_host == {"aio": 1}
    assert latest_running(backend) is None


def test_following_a_running_run_stops_when_asked(tmp_path: Path) -> None:
    inventory = tmp_path / "inv.yml"
    inventory.write_text("all: {}\n")
    run = create("deploy", inventory, base=tmp_path / "runs")
    info = run.info()
    info.status, info.pid = RUNNING, None  # a live worker without a pid file to check
    run.save(info)
    run.append(TaskStarted(host="aio", task="still going"))
    backend = RunsBackend(tmp_path / "runs", poll=0.01)
    running = latest_running(backend)
    assert running is not None and running.id == run.id
    stop = threading.Event()
    seen = []
    for event in backend.follow(running, stop=stop.is_set):
        seen.append(event)
        stop.set()  # the TUI exits: the follow ends, the run is left alone
    assert len(seen) == 1
    assert run.info().status == RUNNING


def test_replay_scripts_hand_out_recordings_in_order(tmp_path: Path) -> None:
    backend = ReplayBackend(scripts={"deploy": [RECORDINGS / "failed-deploy",
                                                RECORDINGS / "rerun-deploy"]})
    first = backend.start("deploy", tmp_path / "inv.yml")
    assert list(backend.follow(first))[-1] == RunFinished(status="failed", rc=2)
    second = backend.start("deploy", tmp_path / "inv.yml")
    assert list(backend.follow(second))[-1] == RunFinished(status="successful", rc=0)
    third = backend.start("deploy", tmp_path / "inv.yml")  # the last one repeats
    assert third.path == RECORDINGS / "rerun-deploy"
    assert [r.status for r in backend.runs()] == ["failed", "successful", RUNNING]
    with pytest.raises(RuntimeError):
        backend.start("destroy", tmp_path / "inv.yml")


def test_replay_gate_holds_a_run_until_released() -> None:
    gate = threading.Event()
    backend = ReplayBackend(gate=gate, hold_at=3)
    ref = backend.add_history(RECORDINGS / "first-deploy", status=RUNNING)
    assert latest_running(backend) == ref
    events = backend.follow(ref)
    first = [next(events) for _ in range(3)]
    assert len(first) == 3
    gate.set()
    assert isinstance(list(events)[-1], RunFinished)
    assert latest_running(backend) is None
