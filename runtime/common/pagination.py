"""``limit``/``marker`` pagination with ``links``, as Nova, Glance and Neutron page lists."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from runtime.common.errors import BadRequest

T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    limit: int | None
    marker: str | None


def page_params(query: Mapping[str, str], max_limit: int = 1000) -> Page:
    raw = query.get("limit")
    limit = None
    if raw is not None:
        if not raw.isdigit():
            raise BadRequest(f"Invalid limit {raw!r}: it must be a non-negative integer.")
        limit = min(int(raw), max_limit)
    return Page(limit=limit, marker=query.get("marker") or None)


def paginate(
    items: Sequence[T], page: Page, key: Callable[[T], str]
) -> tuple[list[T], str | None]:
    """The page of ``items`` (already sorted) after ``marker``, and the next marker."""
    start = 0
    if page.marker is not None:
        for i, item in enumerate(items):
            if key(item) == page.marker:
                start = i + 1
                break
        else:
            raise BadRequest(f"Marker {page.marker} could not be found.")
    if page.limit is None:
        return list(items[start:]), None
    chunk = list(items[start : start + page.limit])
    more = start + page.limit < len(items)
    return chunk, (key(chunk[-1]) if more and chunk else None)


def next_link(base_url: str, query: Mapping[str, str], marker: str) -> dict[str, Any]:
    params = {k: v for k, v in query.items() if k != "marker"}
    params["marker"] = marker
    return {"rel": "next", "href": f"{base_url}?{urlencode(params)}"}
