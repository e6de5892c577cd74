"""Request bodies as Glance's schemas check them."""

from __future__ import annotations

import pytest

from runtime.common.errors import BadRequest, Forbidden
from runtime.image.schemas import image_create, import_request, patch_ops
from runtime.image.service.listing import sort_order


def test_create_splits_base_attributes_properties_and_tags() -> None:
    data = image_create({"name": "n", "min_ram": 5, "tags": ["a", "a", "b"], "foo": "bar",
                         "id": "6A0E3C1E-1111-2222-3333-444455556666"})
    assert data.base == {"name": "n", "min_ram": 5,
                         "id": "6a0e3c1e-1111-2222-3333-444455556666"}
    assert data.properties == {"foo": "bar"} and data.tags == ["a", "b"]


@pytest.mark.parametrize("body,error", [
    ({"size": 5}, Forbidden), ({"os_glance_x": "1"}, Forbidden), ({"deleted": "1"}, Forbidden),
    ({"min_disk": True}, BadRequest), ({"foo": 1}, BadRequest), ({"name": "x" * 256},
                                                                  BadRequest),
    ({"protected": "yes"}, BadRequest), ([], BadRequest),
])
def test_create_refusals(body: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        image_create(body)


def test_patch_forms_and_pointers() -> None:
    ops = patch_ops([{"op": "add", "path": "/a~1b", "value": "1"}, {"remove": "/c"}])
    assert [(o.op, o.name, o.value) for o in ops] == [("add", "a/b", "1"), ("remove", "c",
                                                                            None)]
    for bad in ({"op": "add", "path": "/x"}, {"op": "move", "path": "/x"},
                {"op": "add", "path": "/x/y", "value": 1}, {"op": "add", "path": "x"}):
        with pytest.raises(BadRequest):
            patch_ops([bad])


def test_import_request() -> None:
    req = import_request({"method": {"name": "web-download", "uri": "http://x/y"},
                          "all_stores": True}, None)
    assert req.params == {"uri": "http://x/y"} and req.all_stores
    assert import_request({"method": {"name": "glance-direct"}}, "a, b").stores == ["a", "b"]
    with pytest.raises(BadRequest):
        import_request({"method": {"name": "glance-direct"}, "stores": ["a"],
                        "all_stores": True}, None)


def test_sort_order() -> None:
    assert sort_order([("sort", "size:asc,name")]) == [("size", "asc"), ("name", "desc"),
                                                       ("created_at", "desc"), ("id", "desc")]
    assert sort_order([("sort_key", "name"), ("sort_key", "size"), ("sort_dir", "asc")])[:2] \
        == [("name", "asc"), ("size", "asc")]
    with pytest.raises(BadRequest):
        sort_order([("sort_key", "secret")])
