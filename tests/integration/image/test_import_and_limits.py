"""glance-direct and copy-image imports with their tasks, quotas, the size cap and a
full store: every refusal leaves the image queued and no data behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime.image.drivers.fake import FakeStore
from tests.integration.image.conftest import ImageApi, User, in_process, make_user
from tests.support import wait_for


def status_is(api: ImageApi, image_id: str, status: str) -> bool:
    return bool(api.show(image_id)["status"] == status)


def test_glance_direct_import_to_all_stores(image_api: ImageApi) -> None:
    methods = image_api.image("GET", "/info/import").json()["import-methods"]["value"]
    assert {"glance-direct", "web-download", "copy-image"} <= set(methods)
    stores = image_api.image("GET", "/info/stores").json()["stores"]
    assert {s["id"]: s.get("default", False) for s in stores} == {"file": True, "fast": False}
    image = image_api.create()
    r = image_api.image("PUT", f"/images/{image['id']}/stage", content=b"staged" * 1000,
                        headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 204, r.text
    assert image_api.show(image["id"])["status"] == "uploading"
    r = image_api.image("POST", f"/images/{image['id']}/import",
                        json={"method": {"name": "glance-direct"}, "all_stores": True})
    assert r.status_code == 202, r.text
    wait_for(lambda: status_is(image_api, image["id"], "active"), 30, "import to finish")
    shown = image_api.show(image["id"])
    assert shown["stores"] == "fast,file" and shown["size"] == 6000
    assert shown["os_glance_failed_import"] == "" and shown["os_glance_importing_to_stores"] == ""
    assert image_api.image("GET", f"/images/{image['id']}/file").content == b"staged" * 1000
    tasks = image_api.image("GET", f"/images/{image['id']}/tasks").json()["tasks"]
    assert [t["status"] for t in tasks] == ["success"]
    assert tasks[0]["request_id"] == r.headers["x-openstack-request-id"]
    assert tasks[0]["input"]["import_req"]["method"]["name"] == "glance-direct"
    # The staged copy is gone once imported.
    assert not image_api.images.staging.exists(image["id"])


def test_import_needs_staged_data_and_a_known_method(image_api: ImageApi) -> None:
    image = image_api.create()
    url = f"/images/{image['id']}/import"
    assert image_api.image("POST", url, json={"method": {"name": "glance-direct"}}
                           ).status_code == 409
    assert image_api.image("POST", url, json={"method": {"name": "teleport"}}
                           ).status_code == 400
    r = image_api.image("POST", url, json={"method": {"name": "web-download",
                                                      "uri": "ftp://example.com/x"}})
    assert r.status_code == 400 and "does not pass filtering" in r.json()["message"]
    r = image_api.image("POST", url, json={"method": {"name": "glance-download",
                                                      "glance_image_id": "foo",
                                                      "glance_region": "RegionOne"}})
    assert r.status_code == 400 and "does not look like a UUID" in r.json()["message"]


def test_copy_image_and_delete_from_one_store(image_api: ImageApi) -> None:
    image = image_api.create()
    image_api.upload(image["id"], b"copy me")
    assert image_api.show(image["id"])["stores"] == "file"
    r = image_api.image("POST", f"/images/{image['id']}/import",
                        json={"method": {"name": "copy-image"}, "stores": ["fast"]})
    assert r.status_code == 202, r.text
    wait_for(lambda: image_api.show(image["id"]).get("stores") == "fast,file", 30, "copy")
    assert image_api.images.stores["fast"].exists(image["id"])
    assert image_api.image("DELETE", f"/stores/file/{image['id']}").status_code == 204
    assert image_api.show(image["id"])["stores"] == "fast"
    assert not image_api.images.stores["file"].exists(image["id"])
    # The last copy cannot be removed this way, and the data is still served.
    assert image_api.image("DELETE", f"/stores/fast/{image['id']}").status_code == 403
    assert image_api.image("GET", f"/images/{image['id']}/file").content == b"copy me"


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ImageApi]:
    with in_process(tmp_path_factory.mktemp("limited"), image_count_total=2,
                    image_size_total=10_000, image_size_cap=8_000) as api:
        yield api


def test_image_count_quota_is_413(limited: ImageApi) -> None:
    user = make_user(limited, "counted")
    limited.create(token=user.token)
    limited.create(token=user.token)
    r = limited.image("POST", "/images", user.token, json={"name": "third"})
    assert r.status_code == 413, r.text
    usage = limited.image("GET", "/info/usage", user.token).json()["usage"]
    assert usage["image_count_total"] == {"limit": 2, "usage": 2}


def test_size_cap_and_storage_quota_are_413_and_leave_image_queued(limited: ImageApi) -> None:
    user: User = make_user(limited, "sized")
    first = limited.create(token=user.token)
    assert limited.upload(first["id"], b"a" * 9_000, user.token).status_code == 413  # cap
    assert limited.show(first["id"])["status"] == "queued"
    assert limited.upload(first["id"], b"a" * 6_000, user.token).status_code == 204
    second = limited.create(token=user.token)
    r = limited.upload(second["id"], b"b" * 5_000, user.token)  # 11,000 > 10,000 quota
    assert r.status_code == 413, r.text
    assert limited.show(second["id"])["status"] == "queued"
    assert not limited.images.default_store.exists(second["id"])


def test_upload_larger_than_free_space_is_refused(image_api: ImageApi,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    small = FakeStore("file", capacity=1000)
    monkeypatch.setitem(image_api.images.stores, "file", small)
    image = image_api.create()
    # Refused from the declared length, and as the data streams when none is declared.
    r = image_api.upload(image["id"], b"z" * 5000)
    assert r.status_code == 413 and "free space" in r.json()["message"]

    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"z" * 500

    r = image_api.image("PUT", f"/images/{image['id']}/file", content=chunks(),
                        headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 413
    assert image_api.show(image["id"])["status"] == "queued" and small.objects == {}


def test_wrong_content_type_is_415(image_api: ImageApi) -> None:
    image = image_api.create()
    r = image_api.image("PUT", f"/images/{image['id']}/file", content=b"x",
                        headers={"Content-Type": "application/json"})
    assert r.status_code == 415


def test_legacy_import_task_with_unreachable_uri_fails(image_api: ImageApi,
                                                       tmp_path: Path) -> None:
    body: dict[str, Any] = {"type": "import", "input": {
        "import_from": "http://127.0.0.1:9/nothing.qcow2", "import_from_format": "qcow2",
        "image_properties": {"name": "from-task", "disk_format": "qcow2",
                             "container_format": "bare"}}}
    r = image_api.image("POST", "/tasks", json=body)
    assert r.status_code == 400  # port 9 is not an allowed web-download port
    body["input"]["import_from"] = "http://unreachable.invalid/nothing.qcow2"
    r = image_api.image("POST", "/tasks", json=body)
    assert r.status_code == 201, r.text
    task_id = r.json()["id"]

    def failed() -> bool:
        return bool(image_api.image("GET", f"/tasks/{task_id}").json()["status"] == "failure")

    wait_for(failed, 60, "the task to fail")
    names = [i["name"] for i in image_api.image("GET", "/images").json()["images"]]
    assert "from-task" not in names


def test_stores_are_listed_heaviest_first(tmp_path: Path) -> None:
    stores = {"alpha": {"weight": 1}, "zulu": {"weight": 10}}
    with in_process(tmp_path, stores=stores, default_store="alpha") as api:
        info = api.image("GET", "/info/stores").json()["stores"]
        assert [(s["id"], s["weight"]) for s in info] == [("zulu", 10), ("alpha", 1)]
        image = api.create()
        api.image("PUT", f"/images/{image['id']}/stage", content=b"weighted",
                  headers={"Content-Type": "application/octet-stream"})
        api.image("POST", f"/images/{image['id']}/import",
                  json={"method": {"name": "glance-direct"}, "all_stores": True})
        wait_for(lambda: status_is(api, image["id"], "active"), 30, "import")
        assert api.show(image["id"])["stores"] == "zulu,alpha"
        # Downloads read from the heaviest store holding the image.
        api.images.stores["alpha"].delete(image["id"])
        assert api.image("GET", f"/images/{image['id']}/file").content == b"weighted"
