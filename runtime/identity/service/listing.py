"""Keystone's list filters: exact matches plus ``name__contains`` style operators."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from runtime.common.errors import BadRequest

_OPS: dict[str, Callable[[str, str], bool]] = {
    "contains": lambda v, q: q in v,
    "icontains": lambda v, q: q.lower() in v.lower(),
    "startswith": lambda v, q: v.startswith(q),
    "istartswith": lambda v, q: v.lower().startswith(q.lower()),
    "endswith": lambda v, q: v.endswith(q),
    "iendswith": lambda v, q: v.lower().endswith(q.lower()),
    "equals": lambda v, q: v == q,
    "iequals": lambda v, q: v.lower() == q.lower(),
}


def _coerce(value: Any, raw: str) -> Any:
    if isinstance(value, bool):
        lowered = raw.lower()
        if lowered in ("true", "1", "yes", "on", ""):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        raise BadRequest(f"Invalid boolean filter value: {raw!r}")
    return raw


def apply_filters(
    items: Iterable[dict[str, Any]], query: Mapping[str, str], keys: Iterable[str]
) -> list[dict[str, Any]]:
    """Keep the views matching every supported filter in ``query``; ignore the rest."""
    wanted: list[tuple[str, str, str]] = []
    allowed = set(keys)
    for param, raw in query.items():
        key, _, op = param.partition("__")
        if key in allowed and (not op or op in _OPS):
            wanted.append((key, op, raw))
    out = []
    for item in items:
        ok = True
        for key, op, raw in wanted:
            value = item.get(key)
            if not op:
                if value is None:
                    ok = raw in ("", "None", "null")
                elif _coerce(value, raw) != value:
                    ok = False
            else:
                ok = isinstance(value, str) and _OPS[op](value, raw)
            if not ok:
                break
        if ok:
            out.append(item)
    return out
