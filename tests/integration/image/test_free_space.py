"""Uploads larger than the image store's free space: refused with 413 in Glance's
shape, up front when the client declares its length, and cleanly (image queued, no
partial file) when the disk fills up mid-way."""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.image.drivers import filesystem
from tests.integration.image.conftest import ImageApi, in_process
from tests.support import Cloud

MIB = 1024 * 1024


def _chunks(total: int, size: int = MIB) -> Iterator[bytes]:
    """A body of unknown length (sent chunked, without Content-Length)."""
    for _ in range(total // size):
        yield b"d" * size


def _left_in_store(api: ImageApi, image_id: str) -> list[str]:
    return [p.name for p in api.images.default_store.root.iterdir() if image_id in p.name]


def test_declared_length_over_free_space_is_refused_before_any_data(cloud: Cloud) -> None:
    conn = cloud.sdk()
    image = conn.image.create_image(name="too-big", disk_format="raw",
                                    container_format="bare")
    st = os.statvfs(cloud.state / "images")
    declared = st.f_bavail * st.f_frsize + 2**30
    head = (f"PUT /image/v2/images/{image.id}/file HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{cloud.port}\r\nX-Auth-Token: {conn.auth_token}\r\n"
            "Content-Type: application/octet-stream\r\n"
            f"Content-Length: {declared}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", cloud.port), timeout=30) as sock:
        sock.sendall(head)  # and not one byte of data: the answer must not wait for it
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            got = sock.recv(65536)
            if not got:
                break
            answer += got
    status, _, rest = answer.partition(b"\r\n")
    assert status.startswith(b"HTTP/1.1 413"), answer
    body = rest.partition(b"\r\n\r\n")[2]
    assert b'"code": "413 Request Entity Too Large"' in body or \
        b'"code":"413 Request Entity Too Large"' in body, body
    assert b"free space" in body
    assert conn.image.get_image(image.id).status == "queued"
    conn.image.delete_image(image.id)


@pytest.fixture()
def small_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ImageApi]:
    """A store whose filesystem has 10 MiB free, 4 MiB of which are its reserve."""
    monkeypatch.setattr(filesystem, "_disk_free", lambda path: 10 * MIB)
    with in_process(tmp_path, stores={"file": {"reserve_bytes": 4 * MIB}}) as api:
        yield api


def test_reserve_is_kept_free(small_disk: ImageApi) -> None:
    api = small_disk
    image = api.create()["id"]
    r = api.upload(image, b"x" * (7 * MIB))  # fits the disk, not the disk less its reserve
    assert r.status_code == 413, r.text
    assert r.json()["code"] == "413 Request Entity Too Large"
    assert api.upload(image, b"x" * (5 * MIB)).status_code == 204


def test_upload_without_length_that_fills_the_store_is_413_and_queued(
        small_disk: ImageApi) -> None:
    api = small_disk
    image = api.create()["id"]
    r = api.image("PUT", f"/images/{image}/file", content=_chunks(16 * MIB),
                  headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 413, r.text
    assert "free space" in r.json()["message"]
    assert api.show(image)["status"] == "queued" and _left_in_store(api, image) == []


def test_disk_full_mid_upload_is_413_not_500(small_disk: ImageApi,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel says ENOSPC before our own count does (another writer filled it)."""
    api = small_disk
    written = 0

    def write_until_full(fd: int, data: memoryview) -> int:
        nonlocal written
        if written + len(data) > 2 * MIB:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written += len(data)
        return os.write(fd, data)

    monkeypatch.setattr(filesystem, "_write_fd", write_until_full)
    image = api.create()["id"]
    r = api.image("PUT", f"/images/{image}/file", content=_chunks(5 * MIB, 256 * 1024),
                  headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 413, r.text
    assert r.json()["title"] == "Request Entity Too Large"
    assert api.show(image)["status"] == "queued" and _left_in_store(api, image) == []
    monkeypatch.setattr(filesystem, "_write_fd", os.write)
    assert api.upload(image, b"ok" * 1000).status_code == 204
