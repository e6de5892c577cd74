"""The real clients against `haneul serve` on loopback: the `openstack` CLI and
openstacksdk, and a client that drops its connection in the middle of an upload."""

from __future__ import annotations

import hashlib
import json
import os
import socket
from pathlib import Path

from tests.integration.image.test_images_api import qcow2_header
from tests.support import Cloud, wait_for


def test_openstack_cli_image_lifecycle(cloud: Cloud, tmp_path: Path) -> None:
    disk = tmp_path / "disk.qcow2"
    disk.write_bytes(qcow2_header(2 * 2**30) + os.urandom(300_000))
    image = cloud.openstack("image", "create", "--file", str(disk), "--disk-format", "qcow2",
                            "--container-format", "bare", "--property", "os_distro=haneul",
                            "cli-image")
    assert image["status"] == "active" and image["virtual_size"] == 2 * 2**30
    assert image["checksum"] == hashlib.md5(disk.read_bytes()).hexdigest()
    assert any(row["ID"] == image["id"] for row in cloud.openstack("image", "list"))
    cloud.openstack("image", "set", "--property", "hw_disk_bus=virtio", "--tag", "blue",
                    "--min-disk", "3", "--protected", "cli-image")
    shown = cloud.openstack("image", "show", "cli-image")
    assert shown["min_disk"] == 3 and shown["tags"] == ["blue"] and shown["protected"]
    assert shown["properties"]["hw_disk_bus"] == "virtio"
    saved = tmp_path / "saved"
    cloud.openstack("image", "save", "--file", str(saved), "cli-image")
    assert saved.read_bytes() == disk.read_bytes()
    refused = cloud.openstack("image", "delete", "cli-image", check=False)
    assert refused.returncode != 0  # protected
    cloud.openstack("image", "set", "--unprotected", "cli-image")
    cloud.openstack("image", "delete", "cli-image")
    assert not any(row["ID"] == image["id"] for row in cloud.openstack("image", "list"))


def test_openstack_cli_refuses_content_that_is_not_the_format(cloud: Cloud,
                                                             tmp_path: Path) -> None:
    fake = tmp_path / "fake.qcow2"
    fake.write_bytes(b"this is not a qcow2 image" * 100)
    proc = cloud.openstack("image", "create", "--file", str(fake), "--disk-format", "qcow2",
                           "not-qcow2", check=False)
    assert proc.returncode != 0 and "does not match" in proc.stderr
    # The server left the image queued; the client then removed the image it made.
    assert not [r for r in cloud.openstack("image", "list") if r["Name"] == "not-qcow2"]


def test_sdk_upload_and_streamed_download(cloud: Cloud) -> None:
    conn = cloud.sdk()
    data = os.urandom(3 * 1024 * 1024 + 17)
    image = conn.image.upload_image(name="sdk-image", data=data, disk_format="raw",
                                    container_format="bare")
    try:
        image = conn.image.get_image(image.id)
        assert image.status == "active" and image.size == len(data)
        assert image.hash_algo == "sha512"
        assert image.hash_value == hashlib.sha512(data).hexdigest()
        response = conn.image.download_image(image, stream=True)
        got = b"".join(response.iter_content(chunk_size=65536))
        assert got == data and response.headers["Content-MD5"] == hashlib.md5(data).hexdigest()
        assert [i.id for i in conn.image.images(name="sdk-image")] == [image.id]
    finally:
        conn.image.delete_image(image.id)


def test_interrupted_upload_leaves_the_image_queued(cloud: Cloud) -> None:
    conn = cloud.sdk()
    image = conn.image.create_image(name="interrupted", disk_format="raw",
                                    container_format="bare", allow_duplicates=True)
    path = f"/image/v2/images/{image.id}/file"
    head = (f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1:{cloud.port}\r\n"
            f"X-Auth-Token: {conn.auth_token}\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {50 * 1024 * 1024}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", cloud.port)) as sock:
        sock.sendall(head + os.urandom(4 * 1024 * 1024))

        def saving() -> bool:
            return bool(conn.image.get_image(image.id).status == "saving")

        wait_for(saving, 30, "the upload to start")
    # The client is gone: the image goes back to queued and no partial data stays.
    wait_for(lambda: conn.image.get_image(image.id).status == "queued", 30,
             "the image to be queued again")
    leftovers = list((cloud.state / "images").glob(f"*{image.id}*"))
    assert leftovers == []
    conn.image.delete_image(image.id)


def test_catalog_has_the_image_endpoint(cloud: Cloud) -> None:
    services = json.loads(json.dumps(cloud.openstack("catalog", "list")))
    image = [s for s in services if s["Type"] == "image"]
    assert image and image[0]["Name"] == "glance"
