"""A killed API process loses no data and leaves nothing stuck: an upload cut short by
SIGKILL leaves the image queued (never active, never saving forever) once the service
is back, with no partial data left in the store, and the image can be uploaded again."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import uuid
from pathlib import Path

from runtime.image import models as m
from runtime.image.service.recovery import recover
from tests.integration.image.conftest import ImageApi, in_process
from tests.support import running_cloud, start, wait_for

MIB = 1024 * 1024


def test_upload_cut_by_a_killed_server_is_queued_after_restart(tmp_path: Path) -> None:
    with running_cloud(tmp_path / "cloud", services=["identity", "image"]) as cloud:
        conn = cloud.sdk()
        image = conn.image.create_image(name="cut-short", disk_format="raw",
                                        container_format="bare")
        store = cloud.state / "images"
        head = (f"PUT /image/v2/images/{image.id}/file HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{cloud.port}\r\nX-Auth-Token: {conn.auth_token}\r\n"
                "Content-Type: application/octet-stream\r\n"
                f"Content-Length: {256 * MIB}\r\n\r\n").encode()
        with socket.create_connection(("127.0.0.1", cloud.port)) as sock:
            sock.sendall(head + os.urandom(24 * MIB))

            def partial_on_disk() -> bool:
                parts = list(store.glob(f".{image.id}.*.part"))
                return bool(parts) and parts[0].stat().st_size > 0

            wait_for(partial_on_disk, 60, "part of the upload to reach the store")
            assert conn.image.get_image(image.id).status == "saving"
            assert cloud.process is not None
            cloud.process.send_signal(signal.SIGKILL)
            cloud.process.wait(30)

        start(cloud)  # the same state directory, as after a crash
        conn = cloud.sdk()
        back = conn.image.get_image(image.id)
        assert back.status == "queued" and back.size is None and back.checksum is None
        assert [p.name for p in store.iterdir() if image.id in p.name] == []

        data = os.urandom(3 * MIB + 5)
        r = conn.image.put(f"/images/{image.id}/file", data=data,
                           headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 204, r.text
        done = conn.image.get_image(image.id)
        assert done.status == "active" and done.size == len(data)
        assert done.checksum == hashlib.md5(data).hexdigest()
        assert done.hash_value == hashlib.sha512(data).hexdigest()


def _as_left_by_a_killed_process(api: ImageApi, image_id: str, status: str) -> None:
    with api.images.write() as s:
        s.get(m.Image, image_id).status = status


def test_start_settles_only_the_work_no_live_process_holds(tmp_path: Path) -> None:
    with in_process(tmp_path) as api:
        svc = api.images
        root = svc.default_store.root
        # An upload cut short: its partial file has no writer any more.
        cut = api.create()["id"]
        _as_left_by_a_killed_process(api, cut, "saving")
        (root / f".{cut}.0123.part").write_bytes(b"partial")
        # Killed between renaming the data into place and making the image active.
        renamed = api.create()["id"]
        _as_left_by_a_killed_process(api, renamed, "saving")
        (root / renamed).write_bytes(b"complete but never recorded")
        # A staging upload cut short.
        staging = api.create()["id"]
        _as_left_by_a_killed_process(api, staging, "uploading")
        # A glance-direct import whose process died: the task says processing.
        imported = api.create()["id"]
        r = api.image("PUT", f"/images/{imported}/stage", content=b"staged" * 1000,
                      headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 204, r.text
        with svc.write() as s:
            image = s.get(m.Image, imported)
            image.status = "importing"
            image.properties = {**image.properties, "os_glance_importing_to_stores": "file"}
            s.add(m.ImageTask(id=str(uuid.uuid4()), image_id=imported, type="api_image_import",
                              status="processing", input={}))
        # An upload another live worker is doing right now.
        live = api.create()["id"]
        _as_left_by_a_killed_process(api, live, "saving")
        with svc.default_store.writer(live) as writer:
            writer.write(b"still arriving")

            recover(svc)  # what every worker does as it starts

            assert api.show(live)["status"] == "saving"
            assert list(root.glob(f".{live}.*.part"))
        assert {i: api.show(i)["status"] for i in (cut, renamed, staging)} == dict.fromkeys(
            (cut, renamed, staging), "queued")
        assert [p.name for p in root.iterdir() if cut in p.name or renamed in p.name] == []
        shown = api.show(imported)
        assert shown["status"] == "uploading"  # the staged data is kept for another try
        assert shown["os_glance_importing_to_stores"] == ""
        assert shown["os_glance_failed_import"] == "file"
        tasks = api.image("GET", f"/images/{imported}/tasks").json()["tasks"]
        assert [t["status"] for t in tasks] == ["failure"]
        assert "stopped" in tasks[0]["message"]
        # The settled images take data again.
        assert api.upload(cut, b"again").status_code == 204
        r = api.image("POST", f"/images/{imported}/import",
                      json={"method": {"name": "glance-direct"}})
        assert r.status_code == 202, r.text
        wait_for(lambda: api.show(imported)["status"] == "active", 30, "the import")
