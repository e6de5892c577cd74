"""The disk's own figures, with dd, in the image store's directory.

Write: ``dd if=/dev/zero bs=1M conv=fdatasync`` (the data reaches the disk before dd
stops its clock, as an upload's final fsync makes it reach the disk before the 204).
Read: the page cache is emptied first (``echo 3 > /proc/sys/vm/drop_caches``, which needs
root) so that dd reads from the disk; without root the cache cannot be emptied and the
read figure is marked as cached.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

MB = 1_000_000
MIB = 1024 * 1024


@dataclass(frozen=True)
class Rate:
    seconds: float
    size: int

    @property
    def mb_s(self) -> float:
        return self.size / MB / self.seconds


def drop_caches() -> bool:
    """Empty the page cache (dirty pages written first); False when not allowed."""
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
    except OSError:
        return False
    return True


def evict(path: Path) -> None:
    """Drop one file's pages from the cache (works without root, best effort)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fdatasync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def _dd(args: list[str], size: int) -> Rate:
    started = time.perf_counter()
    proc = subprocess.run(["dd", *args, "bs=1M", f"count={size // MIB}"], capture_output=True,
                          text=True, check=True)
    wall = time.perf_counter() - started
    # dd's own "... copied, 3.1 s, 340 MB/s" line: its clock excludes process start-up.
    found = re.search(r"copied, ([0-9.,]+) s", proc.stderr)
    return Rate(float(found.group(1).replace(",", ".")) if found else wall, size)


def dd_write(path: Path, size: int) -> Rate:
    return _dd(["if=/dev/zero", f"of={path}", "conv=fdatasync"], size)


def dd_read(path: Path, size: int, cold: bool) -> Rate:
    if cold and not drop_caches():
        evict(path)
    return _dd([f"if={path}", "of=/dev/null"], size)


def make_source(path: Path, size: int) -> None:
    """Random data (so nothing on the way can shortcut zeros), written once."""
    block = os.urandom(MIB)
    with open(path, "wb") as f:
        for i in range(size // MIB):
            # Vary each block a little so that no two are equal.
            f.write(i.to_bytes(8, "little") + block[8:])
        f.write(os.urandom(size % MIB))


def machine_busy(seconds: float = 1.0) -> float:
    """The fraction of all CPUs busy over ``seconds`` (before a round: other people's
    work on a shared machine, which every figure but dd's pays for in CPU time)."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields) - idle, sum(fields)

    busy0, total0 = sample()
    time.sleep(seconds)
    busy1, total1 = sample()
    return (busy1 - busy0) / max(total1 - total0, 1)
