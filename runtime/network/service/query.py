"""Neutron's list semantics over resource views: filters on any attribute (a repeated
parameter means any of its values), tag filters, ``sort_key``/``sort_dir``,
``limit``/``marker``/``page_reverse`` with next/previous links, and ``fields``.

It works on the views the API returns, so a filter matches what the caller sees.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from runtime.common.pagination import page_params
from runtime.network.errors import BadRequest

View = dict[str, Any]
CONTROL = frozenset({"fields", "sort_key", "sort_dir", "limit", "marker", "page_reverse",
                     "tags", "tags-any", "not-tags", "not-tags-any"})
TRUE = frozenset({"true", "1", "yes", "on"})
FALSE = frozenset({"false", "0", "no", "off"})


@dataclass
class ListQuery:
    filters: dict[str, list[str]] = field(default_factory=dict)
    tags: dict[str, list[set[str]]] = field(default_factory=dict)
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (key, ascending)
    limit: int | None = None
    marker: str | None = None
    page_reverse: bool = False
    fields: list[str] = field(default_factory=list)


def parse(params: Sequence[tuple[str, str]], max_limit: int) -> ListQuery:
    q = ListQuery()
    multi: dict[str, list[str]] = {}
    for key, value in params:
        multi.setdefault(key, []).append(value)
    for key, values in multi.items():
        if key not in CONTROL:
            q.filters[key] = values
    for key in ("tags", "tags-any", "not-tags", "not-tags-any"):
        if key in multi:
            q.tags[key] = [{t for t in v.split(",") if t} for v in multi[key]]
    keys, dirs = multi.get("sort_key", []), multi.get("sort_dir", [])
    if dirs and len(dirs) != len(keys):
        raise BadRequest("The number of sort_keys and sort_dirs must be same")
    for i, key in enumerate(keys):
        direction = dirs[i] if dirs else "asc"
        if direction not in ("asc", "desc"):
            raise BadRequest(f"{direction} is invalid value for sort_dir, valid value is "
                             "'asc' and 'desc'")
        q.sort.append((key, direction == "asc"))
    page = page_params({k: v[-1] for k, v in multi.items() if k in ("limit", "marker")},
                       max_limit)
    q.limit = page.limit or None  # limit=0 means no limit in Neutron
    q.marker = page.marker
    q.page_reverse = multi.get("page_reverse", ["false"])[-1].lower() in TRUE
    q.fields = field_list(multi.get("fields", []))
    return q


def field_list(values: Sequence[str]) -> list[str]:
    """``fields=a&fields=b`` and ``fields=a,b`` alike."""
    return [f for v in values for f in v.split(",") if f]


def _matches(value: Any, wanted: list[str]) -> bool:
    if isinstance(value, bool):
        return any(w.lower() in (TRUE if value else FALSE) for w in wanted)
    if value is None:
        return any(w in ("", "None", "null") for w in wanted)
    if isinstance(value, list):
        return any(str(v) in wanted for v in value)
    return str(value) in wanted


def _fixed_ips_match(view: View, wanted: list[str]) -> bool:
    """``fixed_ips=ip_address=X``/``fixed_ips=subnet_id=Y``: all such terms must hold for
    one of the port's addresses (ip_address_substr matches a part of it)."""
    terms: dict[str, list[str]] = {}
    for w in wanted:
        k, _, v = w.partition("=")
        terms.setdefault(k, []).append(v)
    for ip in view.get("fixed_ips", []):
        ok = True
        for k, vs in terms.items():
            if k == "ip_address_substr":
                ok = ok and any(v in ip["ip_address"] for v in vs)
            else:
                ok = ok and str(ip.get(k)) in vs
        if ok:
            return True
    return False


def _tags_match(tags: set[str], spec: dict[str, list[set[str]]]) -> bool:
    for group in spec.get("tags", []):
        if not group <= tags:
            return False
    if spec.get("tags-any") and not any(g & tags for g in spec["tags-any"]):
        return False
    for group in spec.get("not-tags", []):
        if group and group <= tags:
            return False
    return not any(g & tags for g in spec.get("not-tags-any", []))


def select_views(views: list[View], q: ListQuery) -> list[View]:
    out = []
    for view in views:
        ok = True
        for key, wanted in q.filters.items():
            if key == "fixed_ips" and "fixed_ips" in view:
                ok = _fixed_ips_match(view, wanted)
            elif key in view:
                ok = _matches(view[key], wanted)
            # Neutron ignores filters on attributes a resource does not have.
            if not ok:
                break
        if ok and q.tags and not _tags_match(set(view.get("tags", [])), q.tags):
            ok = False
        if ok:
            out.append(view)
    return out


def _sort_key(keys: list[tuple[str, bool]]) -> Callable[[View], Any]:
    def key(view: View) -> Any:
        return tuple(_Sortable(view.get(k), asc) for k, asc in keys)

    return key


class _Sortable:
    """Orders mixed values (None first, as SQL's NULLS FIRST) in either direction."""

    __slots__ = ("asc", "value")

    def __init__(self, value: Any, asc: bool) -> None:
        self.value = (value is not None, str(value) if isinstance(value, (list, dict))
                      else value if value is not None else 0)
        self.asc = asc

    def __lt__(self, other: _Sortable) -> bool:
        a, b = self.value, other.value
        try:
            return bool(a < b) if self.asc else bool(b < a)
        except TypeError:
            return (str(a) < str(b)) if self.asc else (str(b) < str(a))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Sortable) and self.value == other.value


def order(views: list[View], q: ListQuery, sortable: set[str] | None = None) -> list[View]:
    keys = list(q.sort)
    for key, _asc in keys:
        if views and sortable is not None and key not in sortable:
            raise BadRequest(f"{key} is invalid attribute for sort_keys")
    if not any(k == "id" for k, _ in keys):
        # Neutron breaks ties by id, in the direction of the last key.
        keys.append(("id", keys[-1][1] if keys else True))
    return sorted(views, key=_sort_key(keys))


@dataclass
class Page:
    items: list[View]
    has_before: bool
    has_after: bool


def page(views: list[View], q: ListQuery) -> Page:
    ids = [v.get("id") for v in views]
    if q.marker is not None and q.marker not in ids:
        raise BadRequest(f"Marker {q.marker} could not be found.")
    at = ids.index(q.marker) if q.marker is not None else None
    if not q.page_reverse:
        start = at + 1 if at is not None else 0
        end = start + q.limit if q.limit else len(views)
        return Page(views[start:end], start > 0, end < len(views))
    end = at if at is not None else len(views)
    start = max(0, end - q.limit) if q.limit else 0
    return Page(views[start:end], start > 0, end < len(views))


def links(base_url: str, params: Sequence[tuple[str, str]], result: Page,
          q: ListQuery) -> list[dict[str, str]]:
    if not q.limit or not result.items:
        return []
    kept = [(k, v) for k, v in params if k not in ("marker", "page_reverse")]
    out = []
    if result.has_after:
        query = urlencode([*kept, ("marker", result.items[-1]["id"])])
        out.append({"rel": "next", "href": f"{base_url}?{query}"})
    if result.has_before:
        query = urlencode([*kept, ("marker", result.items[0]["id"]), ("page_reverse", "True")])
        out.append({"rel": "previous", "href": f"{base_url}?{query}"})
    return out


def only_fields(view: View, fields: list[str]) -> View:
    return {k: v for k, v in view.items() if k in fields} if fields else view
