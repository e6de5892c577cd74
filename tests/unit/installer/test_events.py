"""ansible-runner's event dicts become the typed events every view reads."""

from __future__ import annotations

from typing import Any

from installer.events import (
    HostResult,
    HostStats,
    PlayStarted,
    RunFinished,
    Stats,
    TaskStarted,
    from_json,
    from_runner,
    to_json,
)


def ok(res: dict[str, Any], stdout: str = "ok: [aio]") -> dict[str, Any]:
    return {"event": "runner_on_ok", "stdout": stdout,
            "event_data": {"host": "aio", "task": "Install", "res": res}}


def test_plays_tasks_and_results_are_typed() -> None:
    assert from_runner({"event": "playbook_on_play_start",
                        "event_data": {"play": "Prepare", "play_pattern": "all"}}) == \
        PlayStarted(name="Prepare", pattern="all")
    assert from_runner({"event": "runner_on_start", "event_data": {
        "host": "aio", "task": "Install", "role": "haneul_host"}}) == \
        TaskStarted(host="aio", task="Install", role="haneul_host")
    assert from_runner(ok({"changed": True})) == HostResult("aio", "Install", "changed")
    assert from_runner(ok({"changed": False})) == HostResult("aio", "Install", "ok")
    assert from_runner({"event": "verbose", "event_data": {}}) is None


def test_a_censored_no_log_result_still_says_whether_it_changed() -> None:
    censored = {"censored": "the output has been hidden"}
    assert from_runner(ok(censored, "changed: [aio]")) == HostResult("aio", "Install", "changed")
    assert from_runner(ok(censored, "ok: [aio]")) == HostResult("aio", "Install", "ok")


def test_a_failure_carries_the_message_and_the_end_of_the_output() -> None:
    stderr = "\n".join(f"line {n}" for n in range(40))
    event = from_runner({"event": "runner_on_failed", "event_data": {
        "host": "aio", "task": "Start", "res": {"msg": "non-zero return code",
                                                 "stderr": stderr}}})
    assert isinstance(event, HostResult) and event.status == "failed"
    assert event.message.startswith("non-zero return code")
    assert "line 39" in event.message and "line 10" not in event.message


def test_a_failed_loop_names_each_failed_item() -> None:
    event = from_runner({"event": "runner_on_failed", "event_data": {
        "host": "aio", "task": "Stop", "res": {"msg": "One or more items failed", "results": [
            {"item": "api", "failed": True, "msg": "rc 2", "stderr": "no pidfile"},
            {"item": "agent", "failed": False}]}}})
    assert isinstance(event, HostResult)
    assert event.message == "[api] rc 2\nno pidfile"


def test_ignored_errors_are_not_failures() -> None:
    event = from_runner({"event": "runner_on_failed", "event_data": {
        "host": "aio", "task": "Probe", "ignore_errors": True, "res": {"msg": "x"}}})
    assert isinstance(event, HostResult) and event.status == "ok"


def test_stats_and_json_round_trip() -> None:
    stats = from_runner({"event": "playbook_on_stats", "event_data": {
        "ok": {"aio": 40}, "changed": {"aio": 2}, "failures": {}, "dark": {"c1": 1},
        "skipped": {"aio": 3}}})
    assert stats == Stats(hosts={"aio": HostStats(ok=40, changed=2, skipped=3),
                                 "c1": HostStats(unreachable=1)})
    for event in (stats, PlayStarted("p", "all"), TaskStarted("aio", "t"),
                  HostResult("aio", "t", "failed", "boom"), RunFinished("failed", 2)):
        assert from_json(to_json(event)) == event
