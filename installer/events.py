"""Typed deployment events.

ansible-runner hands out loosely shaped dicts; they are turned into these dataclasses
once, here, so that the CLI, the TUI, the run log and the tests all read the same
small vocabulary. Events also round-trip through JSON lines (`events.jsonl` in a run's
directory), which is how a detached deployment is followed and replayed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

ResultStatus = Literal["ok", "changed", "failed", "skipped", "unreachable"]


@dataclass(frozen=True)
class PlayStarted:
    name: str
    pattern: str
    kind: Literal["play"] = "play"


@dataclass(frozen=True)
class TaskStarted:
    host: str
    task: str
    role: str | None = None
    kind: Literal["task"] = "task"


@dataclass(frozen=True)
class HostResult:
    host: str
    task: str
    status: ResultStatus
    # For failures: the module's message and the end of its output (never secrets:
    # tasks that handle them are no_log, and Ansible censors their results).
    message: str = ""
    kind: Literal["result"] = "result"


@dataclass(frozen=True)
class HostStats:
    ok: int = 0
    changed: int = 0
    failed: int = 0
    skipped: int = 0
    unreachable: int = 0


@dataclass(frozen=True)
class Stats:
    hosts: dict[str, HostStats] = field(default_factory=dict)
    kind: Literal["stats"] = "stats"


@dataclass(frozen=True)
class RunFinished:
    status: str  # successful, failed, canceled, timeout
    rc: int
    kind: Literal["finished"] = "finished"


Event = PlayStarted | TaskStarted | HostResult | Stats | RunFinished

_RESULT_EVENTS: dict[str, ResultStatus] = {
    "runner_on_failed": "failed",
    "runner_on_skipped": "skipped",
    "runner_on_unreachable": "unreachable",
}


def _message(res: dict[str, Any]) -> str:
    """What an operator needs from a failed result: the message and the end of the
    output, trimmed so one event stays one short line in the log."""
    items = [r for r in res.get("results") or [] if isinstance(r, dict) and r.get("failed")]
    if items:  # a loop: what failed is in its items
        return "\n".join(f"[{r.get('item')}] {_message(r)}" for r in items)[:4000]
    parts = [str(res.get("msg") or "").strip()]
    for key in ("stderr", "stdout"):
        text = str(res.get(key) or "").strip()
        if text:
            parts.append("\n".join(text.splitlines()[-15:]))
            break
    return "\n".join(p for p in parts if p)[:4000]


def from_runner(raw: dict[str, Any]) -> Event | None:
    """Translate one ansible-runner event dict; None for the ones nobody shows."""
    name = raw.get("event", "")
    data: dict[str, Any] = raw.get("event_data") or {}
    if name == "playbook_on_play_start":
        return PlayStarted(name=str(data.get("play", "")),
                           pattern=str(data.get("play_pattern", "")))
    if name == "runner_on_start":
        return TaskStarted(host=str(data.get("host", "")), task=str(data.get("task", "")),
                           role=data.get("role") or None)
    res: dict[str, Any] = data.get("res") or {}
    if name == "runner_on_ok":
        # A no_log result is censored down to a message; only the display line says
        # whether it changed anything.
        changed = res.get("changed") or ("censored" in res and str(
            raw.get("stdout", "")).strip().startswith("changed"))
        status: ResultStatus = "changed" if changed else "ok"
        return HostResult(host=str(data.get("host", "")), task=str(data.get("task", "")),
                          status=status)
    if name in _RESULT_EVENTS:
        if name == "runner_on_failed" and data.get("ignore_errors"):
            return HostResult(host=str(data.get("host", "")), task=str(data.get("task", "")),
                              status="ok")
        status = _RESULT_EVENTS[name]
        return HostResult(host=str(data.get("host", "")), task=str(data.get("task", "")),
                          status=status,
                          message=_message(res) if status in ("failed", "unreachable") else "")
    if name == "playbook_on_stats":
        hosts: dict[str, HostStats] = {}
        for key, attr in (("ok", "ok"), ("changed", "changed"), ("failures", "failed"),
                          ("skipped", "skipped"), ("dark", "unreachable")):
            for host, count in (data.get(key) or {}).items():
                current = asdict(hosts.get(host, HostStats()))
                current[attr] = int(count)
                hosts[host] = HostStats(**current)
        return Stats(hosts=hosts)
    return None


def to_json(event: Event) -> str:
    return json.dumps(asdict(event), sort_keys=True)


def from_json(line: str) -> Event:
    data = json.loads(line)
    kind = data.pop("kind")
    if kind == "play":
        return PlayStarted(**data)
    if kind == "task":
        return TaskStarted(**data)
    if kind == "result":
        return HostResult(**data)
    if kind == "stats":
        return Stats(hosts={h: HostStats(**s) for h, s in data["hosts"].items()})
    if kind == "finished":
        return RunFinished(**data)
    raise ValueError(f"unknown event kind {kind!r}")
