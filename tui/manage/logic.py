"""Pure logic of manage mode: command-line completion, filtering, cell text, status colour,
and turning a cloud's errors into one readable line. No Textual, no I/O."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from tui.manage.resources import ALIASES, RESOURCES, lookup
from tui.manage.resources.base import Resource, Row

# Commands of the `:` line that are not resources.
EXTRA_COMMANDS = ("topology", "help", "quit", "project", "cloud")


def complete(text: str) -> list[str]:
    """The commands a partial `:` line may become, resources first, in menu order."""
    word = text.strip().lstrip(":").lower()
    names = [*RESOURCES, *EXTRA_COMMANDS]
    hits = [n for n in names if n.startswith(word)]
    if not hits:  # an alias (`:vm`) or a word inside a name (`:ips`)
        hits = sorted({ALIASES[a] for a in ALIASES if a.startswith(word)} |
                      {n for n in names if word and word in n},
                      key=lambda n: names.index(n))
    return hits


def resolve(text: str) -> tuple[str, Resource | None]:
    """What a submitted `:` line means: (command, resource or None)."""
    word = text.strip().lstrip(":").strip().lower()
    resource = lookup(word)
    if resource is not None:
        return resource.name, resource
    hits = complete(word)
    if word and len(hits) == 1:
        return hits[0], RESOURCES.get(hits[0])
    return word, None


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple, set)):
        return ", ".join(cell_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={cell_text(v)}" for k, v in value.items())
    return str(value)


def row_cells(resource: Resource, row: Row) -> list[str]:
    return [cell_text(c.value(row)) for c in resource.columns]


def matches(cells: Sequence[str], needle: str) -> bool:
    """`/` filter: every word of the filter appears in some cell (case-insensitive)."""
    words = needle.lower().split()
    hay = "\t".join(cells).lower()
    return all(w in hay for w in words)


def filter_rows(resource: Resource, rows: Iterable[Row], needle: str) -> list[Row]:
    if not needle.strip():
        return list(rows)
    return [r for r in rows if matches(row_cells(resource, r), needle)]


GOOD = {"ACTIVE", "AVAILABLE", "UP", "IN-USE", "ENABLED"}
BUSY = {"BUILD", "REBUILD", "REBOOT", "HARD_REBOOT", "RESIZE", "VERIFY_RESIZE", "MIGRATING",
        "QUEUED", "SAVING", "IMPORTING", "UPLOADING", "PENDING", "DOWN", "CREATING",
        "DELETING", "PENDING_CREATE", "PENDING_UPDATE", "PENDING_DELETE"}
BAD = {"ERROR", "KILLED", "ERROR_DELETING", "FAILED"}
QUIET = {"SHUTOFF", "PAUSED", "SUSPENDED", "SHELVED", "SHELVED_OFFLOADED", "DEACTIVATED",
         "STOPPED", "DISABLED", "DELETED", "SOFT_DELETED"}


def status_style(status: str) -> str:
    """Rich style of a status cell: ACTIVE green, BUILD and friends yellow, ERROR red,
    SHUTOFF and other resting states dim."""
    s = status.strip().upper()
    if s in GOOD:
        return "green"
    if s in BAD:
        return "bold red"
    if s in BUSY or s.endswith("ING"):
        return "yellow"
    if s in QUIET:
        return "dim"
    return ""


def error_text(exc: BaseException) -> str:
    """The API's own message: status code, the server's details, the request id."""
    status = getattr(exc, "status_code", None)
    details = getattr(exc, "details", None)
    request_id = getattr(exc, "request_id", None)
    message = str(details) if details else str(getattr(exc, "message", "") or exc)
    if message.startswith("{"):
        message = _json_message(message)
    parts = [f"{status}" if status else type(exc).__name__, message]
    text = ": ".join(p for p in parts if p)
    if request_id:
        text += f" (request {request_id})"
    return text


def _json_message(text: str) -> str:
    try:
        body = json.loads(text)
    except ValueError:
        return text
    if isinstance(body, dict):
        for value in body.values():
            if isinstance(value, dict) and "message" in value:
                return str(value["message"])
        if "message" in body:
            return str(body["message"])
    return text


def describe_fields(row: Row) -> list[tuple[str, str]]:
    """Every field of a row, sorted, for `d`."""
    return [(k, cell_text(v)) for k, v in sorted(row.items())]


def raw_json(row: Row) -> str:
    return json.dumps(row, indent=2, sort_keys=True, default=str)
