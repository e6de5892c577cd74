"""Nova's deprecated image proxy (/images and /images/{id}/metadata) over plain HTTP:
Nova's view, its filters and pages, Glance's visibility and policy for the caller, and
the 404 once a microversion no longer has it."""

from __future__ import annotations

import uuid
from typing import Any

from tests.integration.compute.conftest import ComputeCloud, Member
from tests.integration.compute.test_api_shapes import call


def private_image(cc: ComputeCloud, conn: Any = None, **props: str) -> Any:
    conn = conn or cc.conn
    return conn.image.create_image(name="proxy-" + uuid.uuid4().hex[:8], data=b"*" * 1024,
                                   disk_format="raw", container_format="bare",
                                   visibility="private", wait=True, **props)


def ids(response: Any) -> list[str]:
    return [i["id"] for i in response.json()["images"]]


def test_list_show_and_filters_in_novas_view(compute_cloud: ComputeCloud) -> None:
    cc = compute_cloud
    image = private_image(cc, os_distro="debian")
    listed = call(cc, "GET", "/v2.1/images").json()["images"]
    [basic] = [i for i in listed if i["id"] == image.id]
    assert basic["name"] == image.name
    assert [(x["rel"], x.get("type")) for x in basic["links"]] == [
        ("self", None), ("bookmark", None), ("alternate", "application/vnd.openstack.image")]
    assert basic["links"][0]["href"].endswith(f"/compute/v2.1/images/{image.id}")

    [detail] = call(cc, "GET", f"/v2.1/images/detail?name={image.name}").json()["images"]
    shown = call(cc, "GET", f"/v2.1/images/{image.id}").json()["image"]
    assert detail == shown
    assert {k: shown[k] for k in ("status", "progress", "minRam", "minDisk",
                                  "OS-EXT-IMG-SIZE:size")} == {
        "status": "ACTIVE", "progress": 100, "minRam": 0, "minDisk": 0,
        "OS-EXT-IMG-SIZE:size": 1024}
    assert shown["metadata"]["os_distro"] == "debian"  # (openstacksdk adds its own too)
    assert shown["created"].endswith("Z") and "server" not in shown

    assert image.id in ids(call(cc, "GET", "/v2.1/images?status=ACTIVE"))
    assert image.id not in ids(call(cc, "GET", "/v2.1/images?status=SAVING"))
    assert image.id in ids(call(cc, "GET", "/v2.1/images?property-os_distro=debian"))
    assert image.id in ids(call(cc, "GET",
                                f"/v2.1/images?changes-since={shown['created']}"))
    assert image.id not in ids(call(cc, "GET",
                                    "/v2.1/images?changes-since=2999-01-01T00:00:00Z"))
    cc.conn.image.delete_image(image)


def test_limit_marker_and_bad_queries(compute_cloud: ComputeCloud) -> None:
    cc = compute_cloud
    made = [private_image(cc), private_image(cc)]
    first = call(cc, "GET", "/v2.1/images/detail?limit=1").json()
    assert len(first["images"]) == 1
    [nxt] = first["images_links"]
    assert nxt["rel"] == "next" and f"marker={first['images'][0]['id']}" in nxt["href"]
    rest = call(cc, "GET", f"/v2.1/images/detail?marker={first['images'][0]['id']}")
    assert first["images"][0]["id"] not in ids(rest)
    assert "images_links" not in rest.json()  # no limit: every image, one page
    assert call(cc, "GET", "/v2.1/images?limit=x").status_code == 400
    assert call(cc, "GET", "/v2.1/images?marker=nope").status_code == 400
    assert call(cc, "GET", "/v2.1/images?changes-since=yesterday").status_code == 400
    missing = call(cc, "GET", f"/v2.1/images/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.json() == {
        "itemNotFound": {"code": 404, "message": "Image not found."}}
    for image in made:
        cc.conn.image.delete_image(image)


def test_the_proxies_are_gone_after_their_last_microversion(
        compute_cloud: ComputeCloud) -> None:
    cc = compute_cloud
    image = private_image(cc)
    for path in ("/v2.1/images", "/v2.1/images/detail", f"/v2.1/images/{image.id}"):
        assert call(cc, "GET", path, "2.35").status_code == 200
        gone = call(cc, "GET", path, "2.36")
        assert gone.status_code == 404 and "itemNotFound" in gone.json()
    assert call(cc, "DELETE", f"/v2.1/images/{image.id}", "2.36").status_code == 404
    metadata = f"/v2.1/images/{image.id}/metadata"
    assert call(cc, "GET", metadata, "2.38").status_code == 200
    assert call(cc, "GET", metadata, "2.39").status_code == 404
    assert call(cc, "DELETE", f"/v2.1/images/{image.id}", "2.35").status_code == 204
    assert call(cc, "GET", f"/v2.1/images/{image.id}", "2.35").status_code == 404


def test_image_metadata(compute_cloud: ComputeCloud) -> None:
    cc = compute_cloud
    image = private_image(cc)
    path = f"/v2.1/images/{image.id}/metadata"
    replaced = call(cc, "PUT", path, json={"metadata": {"a": "1", "b": "2"}})
    assert replaced.json() == {"metadata": {"a": "1", "b": "2"}}
    merged = call(cc, "POST", path, json={"metadata": {"b": "3", "c": "4"}})
    assert merged.json() == {"metadata": {"a": "1", "b": "3", "c": "4"}}
    assert call(cc, "PUT", path, json={"metadata": {"c": "5"}}).json() == \
        {"metadata": {"c": "5"}}
    assert call(cc, "PUT", f"{path}/d", json={"meta": {"d": "6"}}).json() == \
        {"meta": {"d": "6"}}
    assert call(cc, "GET", f"{path}/d").json() == {"meta": {"d": "6"}}
    assert call(cc, "DELETE", f"{path}/c").status_code == 204
    assert call(cc, "GET", path).json() == {"metadata": {"d": "6"}}
    # What Glance itself stores: the proxy is a view of the same image.
    assert cc.conn.image.get_image(image.id).properties.get("d") == "6"

    assert call(cc, "GET", f"{path}/c").status_code == 404
    assert call(cc, "DELETE", f"{path}/c").status_code == 404
    assert call(cc, "PUT", f"{path}/x", json={"meta": {"y": "1"}}).status_code == 400
    assert call(cc, "PUT", path, json={"metadata": "no"}).status_code == 400
    reserved = call(cc, "POST", path, json={"metadata": {"os_glance_x": "1"}})
    assert reserved.status_code == 403 and "forbidden" in reserved.json()
    assert call(cc, "POST", path, json={"metadata": {"name": "renamed"}}).status_code == 403
    over = call(cc, "PUT", path, json={"metadata": {f"k{i}": "v" for i in range(129)}})
    assert over.status_code == 403  # the metadata_items quota (128), as Nova counts it
    assert call(cc, "GET", f"/v2.1/images/{uuid.uuid4()}/metadata").status_code == 404
    cc.conn.image.delete_image(image)


def test_the_caller_sees_and_deletes_what_glance_lets_them(
        compute_cloud: ComputeCloud, member: Member) -> None:
    cc = compute_cloud
    token = member.conn.auth_token
    hidden = private_image(cc)
    assert call(cc, "GET", f"/v2.1/images/{hidden.id}", token=token).status_code == 404
    assert hidden.id not in ids(call(cc, "GET", "/v2.1/images", token=token))
    assert cc.image_id in ids(call(cc, "GET", "/v2.1/images", token=token))  # public
    refused = call(cc, "DELETE", f"/v2.1/images/{cc.image_id}", token=token)
    assert refused.status_code == 403 and refused.json() == {"forbidden": {
        "code": 403, "message": "You are not allowed to delete the image."}}
    refused = call(cc, "POST", f"/v2.1/images/{cc.image_id}/metadata", token=token,
                   json={"metadata": {"mine": "1"}})
    assert refused.status_code == 403
    own = private_image(cc, member.conn)
    assert call(cc, "DELETE", f"/v2.1/images/{own.id}", token=token).status_code == 204
    assert member.conn.image.find_image(own.id) is None
    cc.conn.image.delete_image(hidden)
