from __future__ import annotations

import pytest

from runtime.common.errors import BadRequest
from runtime.common.pagination import Page, next_link, page_params, paginate

ITEMS = [f"id{i}" for i in range(5)]


def test_pages_walk_the_whole_list_once() -> None:
    seen: list[str] = []
    marker = None
    while True:
        chunk, marker = paginate(ITEMS, Page(limit=2, marker=marker), key=str)
        seen += chunk
        if marker is None:
            break
    assert seen == ITEMS


def test_unknown_marker_and_bad_limit_are_400() -> None:
    with pytest.raises(BadRequest):
        paginate(ITEMS, Page(limit=2, marker="nope"), key=str)
    with pytest.raises(BadRequest):
        page_params({"limit": "-1"})


def test_next_link_keeps_filters() -> None:
    link = next_link("http://h/v2/images", {"status": "active", "marker": "a"}, "b")
    assert link["href"] == "http://h/v2/images?status=active&marker=b"
