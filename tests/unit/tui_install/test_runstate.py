"""Folding recorded runs into what the preflight and deploy steps show."""

from __future__ import annotations

from pathlib import Path

from installer.events import Event, HostResult, RunFinished, from_json
from tui.install.backend import Estimate
from tui.install.runstate import RunView, checks, failing, hint, split_fix

REPO = Path(__file__).resolve().parents[3]  # the checkout

RECORDINGS = REPO / "tests" / "fixtures" / "installer-runs"


def recorded(name: str) -> list[Event]:
    text = (RECORDINGS / name / "events.jsonl").read_text()
    return [from_json(line) for line in text.splitlines() if line]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        self.now += 0.5  # every event takes half a second
        return self.now


def test_a_recorded_deploy_folds_into_one_row_per_host() -> None:
    view = RunView(clock=Clock())
    lines = [view.apply(e) for e in recorded("first-deploy")]
    assert view.finished is not None and not view.failed
    assert view.fraction() == 1.0
    [row] = view.rows()
    assert row.name == "aio" and row.changed > 0 and row.failed == 0
    assert row.estimate == "done"
    assert any(line and "PLAY Prepare every host" in line for line in lines)
    assert lines[-1] is not None and "run successful" in lines[-1]


def test_the_previous_run_gives_the_estimate() -> None:
    previous = recorded("first-deploy")
    per_host = sum(isinstance(e, HostResult) for e in previous)
    view = RunView(clock=Clock(), estimate=Estimate(results=per_host,
                                                    per_host={"aio": per_host},
                                                    duration=52.0))
    events = recorded("rerun-deploy")
    for event in events[:21]:
        view.apply(event)
    fraction = view.fraction()
    assert fraction is not None and 0 < fraction < 1
    eta = view.eta()
    assert eta is not None and 0 < eta < 52.0
    assert view.rows()[0].estimate.startswith(f"10/{per_host} ")


def test_a_failed_run_stops_the_bar_where_it_failed() -> None:
    view = RunView(clock=Clock(), estimate=Estimate(results=100, per_host={}, duration=None))
    for event in recorded("failed-deploy"):
        view.apply(event)
    assert view.failed
    failure = view.last_failure()
    assert failure is not None and failure.task == "Stop the supervised services"
    assert view.fraction() == 0.25


def test_preflight_messages_split_into_problem_and_fix() -> None:
    assert split_fix("aio: memory: found 512 MB, need 1536 MB. Fix: give the host more "
                     "memory.") == ("aio: memory: found 512 MB, need 1536 MB.",
                                    "give the host more memory.")
    assert split_fix("no fix here") == ("no fix here", "")


def test_checks_list_failures_with_their_fix() -> None:
    events: list[Event] = [
        HostResult("h1", "Gathering Facts", "ok"),
        HostResult("h1", "Enough memory", "failed",
                   "h1: memory: found 1 MB. Fix: give the host more memory."),
        HostResult("h2", "Gathering Facts", "unreachable", "ssh: connect refused"),
        RunFinished("failed", 2),
    ]
    found = checks(events)
    assert [c.task for c in found] == ["Enough memory", "Gathering Facts"]
    bad = failing(found)
    assert bad[0].fix == "give the host more memory."
    assert "cannot be reached over SSH" in bad[1].fix


def test_hints() -> None:
    assert "retry (r)" in hint(HostResult("aio", "Install", "failed", "boom"))
    assert hint(HostResult("aio", "Port", "failed", "in use. Fix: stop it.")) == "stop it."
    assert "SSH" in hint(HostResult("h", "Gathering Facts", "unreachable", ""))
