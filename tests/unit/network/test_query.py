"""Neutron's list semantics on views: filters, tag filters, sorting and pages."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.network.errors import NeutronError
from runtime.network.service import query as q

VIEWS: list[dict[str, Any]] = [
    {"id": "a", "name": "web", "shared": False, "tags": ["red", "blue"], "mtu": 1450},
    {"id": "b", "name": "db", "shared": True, "tags": ["red"], "mtu": 1500},
    {"id": "c", "name": "web", "shared": False, "tags": [], "mtu": 1400},
    {"id": "d", "name": "cache", "shared": True, "tags": ["blue"], "mtu": 1450},
]


def run(params: list[tuple[str, str]]) -> list[str]:
    query = q.parse(params, 1000)
    views = q.order(q.select_views(VIEWS, query), query, set(VIEWS[0]))
    return [v["id"] for v in q.page(views, query).items]


def test_repeated_filter_means_any_of_the_values() -> None:
    assert run([("name", "db"), ("name", "cache")]) == ["b", "d"]


def test_boolean_filters_accept_neutron_spellings() -> None:
    assert run([("shared", "True")]) == ["b", "d"]
    assert run([("shared", "false")]) == ["a", "c"]


def test_tag_filters() -> None:
    assert run([("tags", "red,blue")]) == ["a"]
    assert run([("tags-any", "blue")]) == ["a", "d"]
    assert run([("not-tags", "red")]) == ["c", "d"]
    assert run([("not-tags-any", "red,blue")]) == ["c"]


def test_multiple_sort_keys_with_directions() -> None:
    assert run([("sort_key", "mtu"), ("sort_dir", "desc"), ("sort_key", "name"),
                ("sort_dir", "asc")]) == ["b", "d", "a", "c"]


def test_unknown_sort_key_is_a_bad_request() -> None:
    with pytest.raises(NeutronError) as err:
        run([("sort_key", "nope")])
    assert err.value.status == 400


def test_pages_forward_and_backward_with_links() -> None:
    params = [("limit", "2")]
    query = q.parse(params, 1000)
    first = q.page(q.order(VIEWS, query), query)
    assert [v["id"] for v in first.items] == ["a", "b"]
    links = q.links("http://x/v2.0/networks", params, first, query)
    assert [link["rel"] for link in links] == ["next"]
    assert "marker=b" in links[0]["href"]
    params = [("limit", "2"), ("marker", "c"), ("page_reverse", "True")]
    query = q.parse(params, 1000)
    back = q.page(q.order(VIEWS, query), query)
    assert [v["id"] for v in back.items] == ["a", "b"]
    assert [link["rel"] for link in q.links("http://x", params, back, query)] == ["next"]


def test_unknown_marker_is_a_bad_request() -> None:
    with pytest.raises(NeutronError):
        run([("marker", "zzz")])
