"""The image API in-process: create/show/list, JSON-patch, data, delete, (de)activate."""

from __future__ import annotations

import hashlib
import struct

from tests.integration.image.conftest import ImageApi, User

PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}


def qcow2_header(virtual_size: int, backing: bool = False) -> bytes:
    header = b"QFI\xfb" + struct.pack(">I", 3) + struct.pack(">Q", 512 if backing else 0)
    header += b"\0" * 8 + struct.pack(">Q", virtual_size)
    return header + b"\0" * (512 - len(header))


def test_create_defaults_and_show(image_api: ImageApi) -> None:
    image = image_api.create(name="cirros-like", tags=["a", "b"], foo="bar")
    assert image["status"] == "queued" and image["visibility"] == "shared"
    assert image["size"] is None and image["checksum"] is None and image["foo"] == "bar"
    assert image["tags"] == ["a", "b"] and image["self"] == f"/v2/images/{image['id']}"
    assert image_api.show(image["id"])["name"] == "cirros-like"


def test_upload_download_hashes_and_content_md5(image_api: ImageApi) -> None:
    image = image_api.create(name="data")
    # Nothing uploaded yet: Glance answers 204 with no body.
    assert image_api.image("GET", f"/images/{image['id']}/file").status_code == 204
    data = bytes(range(256)) * 5000
    assert image_api.upload(image["id"], data).status_code == 204
    shown = image_api.show(image["id"])
    assert shown["status"] == "active" and shown["size"] == len(data)
    assert shown["checksum"] == hashlib.md5(data).hexdigest()
    assert shown["os_hash_algo"] == "sha512"
    assert shown["os_hash_value"] == hashlib.sha512(data).hexdigest()
    assert shown["virtual_size"] == len(data) and shown["stores"] == "file"
    r = image_api.image("GET", f"/images/{image['id']}/file")
    assert r.status_code == 200 and r.content == data
    assert r.headers["content-md5"] == shown["checksum"]
    r = image_api.image("GET", f"/images/{image['id']}/file", headers={"Range": "bytes=10-19"})
    assert r.status_code == 206 and r.content == data[10:20]
    # A second upload to an active image is a conflict, and the data is unchanged.
    assert image_api.upload(image["id"], b"other").status_code == 409


def test_qcow2_virtual_size_and_format_enforcement(image_api: ImageApi) -> None:
    image = image_api.create(disk_format="qcow2")
    assert image_api.upload(image["id"], qcow2_header(10 * 2**30)).status_code == 204
    assert image_api.show(image["id"])["virtual_size"] == 10 * 2**30
    # Data that is not qcow2, and qcow2 with a backing file, are refused; still queued.
    for bad in (b"not a disk image" * 100, qcow2_header(2**30, backing=True)):
        other = image_api.create(disk_format="qcow2")
        r = image_api.upload(other["id"], bad)
        assert r.status_code == 400, r.text
        assert image_api.show(other["id"])["status"] == "queued"
    # qcow2 content uploaded as raw is refused too (a raw image must not carry qcow2).
    raw = image_api.create(disk_format="raw")
    assert image_api.upload(raw["id"], qcow2_header(2**30)).status_code == 400


def test_json_patch_add_replace_remove(image_api: ImageApi) -> None:
    image = image_api.create(name="p")
    ops = [{"op": "replace", "path": "/name", "value": "renamed"},
           {"op": "add", "path": "/hw_disk_bus", "value": "virtio"},
           {"op": "replace", "path": "/min_ram", "value": 512},
           {"op": "replace", "path": "/tags", "value": ["x"]}]
    r = image_api.image("PATCH", f"/images/{image['id']}", json=ops, headers=PATCH)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["name"], body["hw_disk_bus"], body["min_ram"], body["tags"]) == (
        "renamed", "virtio", 512, ["x"])
    r = image_api.image("PATCH", f"/images/{image['id']}", headers=PATCH,
                        json=[{"op": "remove", "path": "/hw_disk_bus"}])
    assert "hw_disk_bus" not in r.json()
    # Replacing or removing a property that does not exist is a conflict.
    for op in ({"op": "replace", "path": "/nope", "value": "1"},
               {"op": "remove", "path": "/nope"}):
        r = image_api.image("PATCH", f"/images/{image['id']}", headers=PATCH, json=[op])
        assert r.status_code == 409, r.text
    # The older draft form that Tempest sends with the v2.0 media type works too.
    r = image_api.image("PATCH", f"/images/{image['id']}", json=[{"replace": "/name",
                                                                   "value": "v20"}],
                        headers={"Content-Type": "application/openstack-images-v2.0-json-patch"})
    assert r.json()["name"] == "v20"


def test_patch_errors(image_api: ImageApi) -> None:
    image = image_api.create()
    url = f"/images/{image['id']}"
    r = image_api.image("PATCH", url, json=[{"op": "replace", "path": "/name", "value": "x"}])
    assert r.status_code == 415 and "json-patch" in r.headers["accept-patch"]
    for op, code in (({"op": "replace", "path": "/status", "value": "active"}, 403),
                     ({"op": "add", "path": "/os_glance_x", "value": "1"}, 403),
                     ({"op": "replace", "path": "/min_disk", "value": "big"}, 400),
                     ({"op": "add", "path": "/prop", "value": 5}, 400),
                     ({"op": "test", "path": "/name", "value": "x"}, 400)):
        r = image_api.image("PATCH", url, json=[op], headers=PATCH)
        assert r.status_code == code, (op, r.text)
        assert set(r.json()) == {"message", "code", "title"}


def test_create_validation(image_api: ImageApi) -> None:
    for body, code in (({"disk_format": "wrong"}, 400), ({"container_format": "x"}, 400),
                       ({"status": "active"}, 403), ({"os_glance_foo": "bar"}, 403),
                       ({"visibility": "everyone"}, 400), ({"min_ram": -1}, 400),
                       ({"id": "not-a-uuid"}, 400)):
        r = image_api.image("POST", "/images", json=body)
        assert r.status_code == code, (body, r.text)
    image = image_api.create()
    r = image_api.image("POST", "/images", json={"id": image["id"]})
    assert r.status_code == 409


def test_protected_image_cannot_be_deleted(image_api: ImageApi) -> None:
    image = image_api.create(protected=True)
    assert image_api.image("DELETE", f"/images/{image['id']}").status_code == 403
    image_api.image("PATCH", f"/images/{image['id']}", headers=PATCH,
                    json=[{"op": "replace", "path": "/protected", "value": False}])
    assert image_api.image("DELETE", f"/images/{image['id']}").status_code == 204
    assert image_api.image("GET", f"/images/{image['id']}").status_code == 404
    assert image_api.image("DELETE", f"/images/{image['id']}").status_code == 404


def test_delete_removes_the_data(image_api: ImageApi) -> None:
    image = image_api.create()
    image_api.upload(image["id"], b"x" * 1000)
    store = image_api.images.default_store
    assert store.exists(image["id"])
    image_api.image("DELETE", f"/images/{image['id']}")
    assert not store.exists(image["id"])


def test_deactivate_blocks_download_for_users_not_admins(image_api: ImageApi,
                                                        alice: User) -> None:
    image = image_api.create(token=alice.token)
    image_api.upload(image["id"], b"payload", alice.token)
    url = f"/images/{image['id']}"
    assert image_api.image("POST", url + "/actions/deactivate", alice.token).status_code == 204
    assert image_api.show(image["id"])["status"] == "deactivated"
    assert image_api.image("GET", url + "/file", alice.token).status_code == 403
    assert image_api.image("GET", url + "/file").content == b"payload"  # admin
    assert image_api.image("POST", url + "/actions/reactivate", alice.token).status_code == 204
    assert image_api.image("GET", url + "/file", alice.token).content == b"payload"
    queued = image_api.create(token=alice.token)
    r = image_api.image("POST", f"/images/{queued['id']}/actions/deactivate", alice.token)
    assert r.status_code == 403


def test_only_admin_may_publicize_or_set_another_owner(image_api: ImageApi,
                                                      alice: User) -> None:
    r = image_api.image("POST", "/images", alice.token, json={"visibility": "public"})
    assert r.status_code == 403
    r = image_api.image("POST", "/images", alice.token, json={"owner": "someone-else"})
    assert r.status_code == 403
    assert image_api.create(token=alice.token, visibility="community")["visibility"] == \
        "community"
    public = image_api.create(visibility="public", owner="elsewhere")
    assert public["owner"] == "elsewhere"
    assert image_api.show(public["id"], alice.token)["visibility"] == "public"


def test_tags(image_api: ImageApi) -> None:
    image = image_api.create()
    url = f"/images/{image['id']}/tags"
    assert image_api.image("PUT", url + "/blue").status_code == 204
    assert image_api.image("PUT", url + "/blue").status_code == 204  # idempotent
    assert image_api.show(image["id"])["tags"] == ["blue"]
    assert image_api.image("DELETE", url + "/blue").status_code == 204
    assert image_api.image("DELETE", url + "/blue").status_code == 404
    missing = "/images/00000000-0000-0000-0000-000000000000/tags/x"
    assert image_api.image("PUT", missing).status_code == 404


def test_unauthenticated_is_401_and_schemas_and_versions(image_api: ImageApi) -> None:
    r = image_api.client.get("/image/v2/images")
    assert r.status_code == 401
    for name in ("image", "images", "member", "members", "metadefs/namespace"):
        r = image_api.image("GET", f"/schemas/{name}")
        assert r.status_code == 200 and r.json()["name"] == name.split("/")[-1]
    r = image_api.client.get("/image/")
    assert r.status_code == 300
    statuses = {v["status"] for v in r.json()["versions"]}
    assert statuses == {"CURRENT", "SUPPORTED"}
    assert image_api.client.get("/image/versions").status_code == 200
