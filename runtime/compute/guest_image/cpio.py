"""The initramfs: a ``newc`` cpio archive, written here rather than by cpio(1).

Writing it ourselves lets the archive hold device nodes (``/dev/console``, which the
kernel opens for init before anything mounts devtmpfs) owned by root, without mknod or
root on the build host, and makes the output reproducible (fixed mtimes and inodes).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

_TRAILER = "TRAILER!!!"


@dataclass(frozen=True)
class Entry:
    """One archive member: ``name`` is relative (``bin/busybox``), ``mode`` includes type."""

    name: str
    mode: int
    data: bytes = b""
    rdev: tuple[int, int] = (0, 0)


def _pad4(n: int) -> bytes:
    return b"\0" * (-n % 4)


def _header(ino: int, entry: Entry, name: bytes) -> bytes:
    fields = (
        ino, entry.mode, 0, 0, 1, 0, len(entry.data),  # ino mode uid gid nlink mtime size
        0, 0, entry.rdev[0], entry.rdev[1],  # devmajor devminor rdevmajor rdevminor
        len(name) + 1, 0,  # namesize (with NUL), check
    )
    return b"070701" + b"".join(b"%08X" % f for f in fields)


def encode(entries: Iterable[Entry]) -> bytes:
    """The archive bytes for ``entries``, in the given order (parents before children)."""
    out = bytearray()
    for ino, entry in enumerate([*entries, Entry(_TRAILER, 0)], start=1):
        name = entry.name.encode()
        head = _header(0 if entry.name == _TRAILER else ino, entry, name)
        out += head + name + b"\0"
        out += _pad4(len(head) + len(name) + 1)
        out += entry.data + _pad4(len(entry.data))
    return bytes(out)


def decode(archive: bytes) -> Iterator[Entry]:
    """The members of a newc archive (for tests and inspection)."""
    pos = 0
    while True:
        head = archive[pos:pos + 110]
        if head[:6] != b"070701":
            raise ValueError(f"bad cpio magic at offset {pos}")
        f = [int(head[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        mode, size, rmaj, rmin, namesize = f[1], f[6], f[9], f[10], f[11]
        name = archive[pos + 110:pos + 110 + namesize - 1].decode()
        pos += 110 + namesize
        pos += -pos % 4
        data = archive[pos:pos + size]
        pos += size + (-size % 4)
        if name == _TRAILER:
            return
        yield Entry(name, mode, data, (rmaj, rmin))


def tree_entries(root: Path) -> Iterator[Entry]:
    """Entries for every file, directory and symlink under ``root``, parents first.

    Ownership is always root: the staging tree may have been unpacked by anyone.
    """
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames) + sorted(filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                yield Entry(rel, stat.S_IFLNK | 0o777, os.readlink(path).encode())
            elif stat.S_ISDIR(st.st_mode):
                yield Entry(rel, stat.S_IFDIR | stat.S_IMODE(st.st_mode))
            elif stat.S_ISREG(st.st_mode):
                yield Entry(rel, stat.S_IFREG | stat.S_IMODE(st.st_mode), path.read_bytes())


def char_device(name: str, major: int, minor: int, perm: int = 0o600) -> Entry:
    return Entry(name, stat.S_IFCHR | perm, rdev=(major, minor))
