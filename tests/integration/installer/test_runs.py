"""Deployment runs through real ansible-runner on this host: the preflight action (which
changes nothing) run attached, detached and re-attached, and killed midway."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from installer.runs import Run, list_runs
from tests.support import BIN, wait_for

ROOT = Path(__file__).resolve().parents[3]
AIO = ROOT / "inventory" / "all-in-one.yml"


@pytest.fixture
def runs_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("HANEUL_RUNS_DIR", str(tmp_path / "runs"))
    return {**os.environ, "HANEUL_RUNS_DIR": str(tmp_path / "runs"),
            "HOME": str(tmp_path)}  # secrets of the example inventory land here


def haneul(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "haneul"), *args], capture_output=True, text=True,
                          env=env, timeout=300, cwd=ROOT)


def test_preflight_reports_typed_events_and_is_listed(runs_env: dict[str, str],
                                                      tmp_path: Path) -> None:
    done = haneul(runs_env, "action", "preflight", "-i", str(AIO), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert {"kind": "play", "name": "Preflight checks", "pattern": "all"} in events
    assert events[-1] == {"kind": "finished", "status": "successful", "rc": 0}
    stats = [e for e in events if e["kind"] == "stats"]
    assert stats and stats[-1]["hosts"]["aio"]["failed"] == 0
    assert stats[-1]["hosts"]["aio"]["changed"] == 0  # preflight changes nothing
    listed = haneul(runs_env, "runs").stdout
    assert "successful" in listed and "preflight" in listed
    secrets = tmp_path / ".config" / "haneul" / "secrets" / "all-in-one.yml"
    assert secrets.stat().st_mode & 0o777 == 0o600


def test_a_detached_run_goes_on_and_can_be_attached(runs_env: dict[str, str]) -> None:
    started = haneul(runs_env, "action", "preflight", "-i", str(AIO), "--detach")
    assert started.returncode == 0 and "started" in started.stdout
    followed = haneul(runs_env, "attach")
    assert followed.returncode == 0, followed.stdout
    assert "aio: ok=" in followed.stdout and "successful in" in followed.stdout
    # The run keeps Ansible's whole display too, for when the summary is not enough.
    assert "PLAY RECAP" in list_runs()[-1].log_file.read_text()


def test_a_killed_run_is_reported_interrupted(runs_env: dict[str, str]) -> None:
    haneul(runs_env, "action", "preflight", "-i", str(AIO), "--detach")
    run = list_runs()[-1]
    wait_for(lambda: any(e.kind == "play" for e in run.events()), 60,
             "the run to start its first play")
    worker = int((run.path / "worker.pid").read_text())
    os.killpg(worker, signal.SIGKILL)  # the worker leads its own session
    wait_for(lambda: Run(run.path).info().status == "interrupted", 30,
             "the run to show as interrupted")
    followed = haneul(runs_env, "attach", run.id)
    assert followed.returncode != 0 and "interrupted" in followed.stdout


def test_a_bad_inventory_is_refused_before_any_run(runs_env: dict[str, str],
                                                    tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("all:\n  children:\n    compute:\n      hosts:\n        c1:\n")
    done = haneul(runs_env, "deploy", "-i", str(bad))
    assert done.returncode == 2
    assert "no host in the `control` group" in done.stderr
    assert list_runs() == []
