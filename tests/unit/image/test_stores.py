"""The store contract, against the filesystem store and the fake: streamed writes with
hashes, atomic commit, abort leaving nothing, and refusal when space runs out."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from runtime.image.drivers import filesystem
from runtime.image.drivers.base import DataNotFound, Store, StoreFull
from runtime.image.drivers.fake import FakeStore
from runtime.image.drivers.filesystem import FilesystemStore


@pytest.fixture(params=["filesystem", "fake"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "filesystem":
        return FilesystemStore("file", tmp_path / "images")
    return FakeStore()


def test_write_commit_read_delete(store: Store) -> None:
    chunks = [bytes([i]) * 100_000 for i in range(7)]
    writer = store.writer("img-1")
    for chunk in chunks:
        writer.write(chunk)
    assert not store.exists("img-1")  # nothing visible before commit
    stored = writer.commit()
    data = b"".join(chunks)
    assert stored.size == len(data) and stored.checksum == hashlib.md5(data).hexdigest()
    assert stored.os_hash_value == hashlib.sha512(data).hexdigest()
    assert stored.head == data[:65536]
    assert b"".join(store.read("img-1", chunk_size=4096)) == data
    assert b"".join(store.read("img-1", offset=99_990, length=20)) == data[99_990:100_010]
    store.delete("img-1")
    store.delete("img-1")  # deleting twice is fine
    with pytest.raises(DataNotFound):
        store.read("img-1")


def test_abort_leaves_nothing(store: Store, tmp_path: Path) -> None:
    writer = store.writer("img-2")
    writer.write(b"partial")
    writer.abort()
    assert not store.exists("img-2")
    if isinstance(store, FilesystemStore):
        assert list(store.root.iterdir()) == []


def test_filesystem_store_refuses_data_past_free_space(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    store = FilesystemStore("file", tmp_path)
    monkeypatch.setattr(store, "free_bytes", lambda: 1000)
    writer = store.writer("big")
    writer.write(b"x" * 600)
    with pytest.raises(StoreFull):
        writer.write(b"x" * 600)
    assert list(tmp_path.iterdir()) == []  # the partial file is gone


def test_keys_cannot_escape_the_store(tmp_path: Path) -> None:
    store = FilesystemStore("file", tmp_path / "images")
    with pytest.raises(DataNotFound):
        store.read("../etc/passwd")
    assert not store.exists("../images")


def test_a_write_is_busy_until_closed_even_after_commit(store: Store) -> None:
    assert not store.busy("img-3")
    with store.writer("img-3") as writer:
        writer.write(b"data")
        assert store.busy("img-3")
        writer.commit()
        assert store.busy("img-3")  # until the caller has recorded the data
    assert not store.busy("img-3") and store.exists("img-3")


def test_leaving_the_block_without_commit_discards_the_data(store: Store) -> None:
    with pytest.raises(RuntimeError), store.writer("img-4") as writer:
        writer.write(b"data")
        raise RuntimeError("client went away")
    assert not store.exists("img-4") and not store.busy("img-4")


def test_partials_without_a_live_writer_are_cleaned(tmp_path: Path) -> None:
    store = FilesystemStore("file", tmp_path)
    dead = tmp_path / ".img-5.abc.part"  # a killed process's: nobody holds its lock
    dead.write_bytes(b"partial")
    with store.writer("img-6") as live:
        live.write(b"arriving")
        assert store.busy("img-6") and not store.busy("img-5")
        assert store.clean_partials() == [dead.name]
        assert [p.name for p in tmp_path.iterdir() if "img-6" in p.name] != []
    assert list(tmp_path.iterdir()) == []


def test_reserve_is_taken_off_free_space(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(filesystem, "_disk_free", lambda path: 100)
    assert FilesystemStore("file", tmp_path, reserve_bytes=30).free_bytes() == 70
    assert FilesystemStore("file", tmp_path, reserve_bytes=300).free_bytes() == 0
