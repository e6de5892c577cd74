"""The one table of installer actions.

The CLI (`haneul deploy`, `haneul actions`), the TUI and the tests all read this table,
so an action means the same playbooks and the same extra variables wherever it is run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

PLAYBOOKS = Path(__file__).resolve().parent.parent / "playbooks"


@dataclass(frozen=True)
class Action:
    name: str
    summary: str
    playbooks: tuple[str, ...]
    # Passed to every play as `haneul_action`; roles include `tasks/<action>.yml`.
    extravars: dict[str, str] = field(default_factory=dict)
    # Actions that change hosts run preflight first (it changes nothing itself).
    preflight: bool = True
    # Whether the action needs a --limit (which hosts to add or remove).
    needs_limit: bool = False
    destructive: bool = False
    # Whether it installs this checkout's code on hosts (so the wheel is built first).
    installs_code: bool = False


ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("preflight", "check every host before anything changes",
           ("preflight.yml",), {"haneul_action": "preflight"}, preflight=False),
    Action("deploy", "install and start every enabled service (idempotent, resumable)",
           ("site.yml",), {"haneul_action": "deploy"}, installs_code=True),
    Action("reconfigure", "re-render configuration and restart what changed",
           ("site.yml",), {"haneul_action": "reconfigure"}, installs_code=True),
    Action("add-node", "deploy the hosts given with --limit and register them",
           ("site.yml",), {"haneul_action": "deploy"}, needs_limit=True,
           installs_code=True),
    Action("remove-node", "drain the hosts given with --limit, then remove Haneul from them",
           ("remove-node.yml",), {"haneul_action": "destroy"}, preflight=False,
           needs_limit=True, destructive=True),
    Action("stop", "stop every Haneul service, keeping data and configuration",
           ("stop.yml",), {"haneul_action": "stop"}, preflight=False),
    Action("destroy", "stop everything and remove what deploy added",
           ("destroy.yml",), {"haneul_action": "destroy"}, preflight=False,
           destructive=True),
)}


def get_action(name: str) -> Action:
    try:
        return ACTIONS[name]
    except KeyError:
        raise KeyError(f"unknown action {name!r}; known: {', '.join(ACTIONS)}") from None


def plan(action: Action) -> list[tuple[str, dict[str, str]]]:
    """The playbooks to run, in order, each with its extra variables."""
    steps: list[tuple[str, dict[str, str]]] = []
    if action.preflight:
        steps.append(("preflight.yml", {"haneul_action": "preflight"}))
    steps.extend((book, dict(action.extravars)) for book in action.playbooks)
    return steps
