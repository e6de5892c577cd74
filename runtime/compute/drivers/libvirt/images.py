"""Disks on a compute host: a cache of base images (fetched once per host) and a
copy-on-write qcow2 overlay per server on top of them, made with qemu-img."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

from runtime.compute.drivers.base import GuestError

GiB = 1 << 30
BASE_DIR = "_base"


def qemu_img(*args: str) -> str:
    proc = subprocess.run(["qemu-img", *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise GuestError(f"qemu-img {args[0]} failed: {proc.stderr.strip()}")
    return proc.stdout


def virtual_size(path: Path) -> int:
    info = json.loads(qemu_img("info", "--output=json", "-U", str(path)))
    return int(info["virtual-size"])


def image_format(path: Path) -> str:
    info = json.loads(qemu_img("info", "--output=json", "-U", str(path)))
    return str(info["format"])


class ImageCache:
    """``instances/_base/<image id>``, each fetched at most once however many guests
    spawn from it at the same time."""

    def __init__(self, instances: Path) -> None:
        self.directory = instances / BASE_DIR
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def path(self, image_id: str) -> Path:
        if not image_id or "/" in image_id or image_id.startswith("."):
            raise GuestError(f"invalid image id {image_id!r}")
        return self.directory / image_id

    def ensure(self, image_id: str, fetch: Callable[[str, Path], None]) -> Path:
        path = self.path(image_id)
        if path.exists():
            return path
        with self._guard:
            lock = self._locks.setdefault(image_id, threading.Lock())
        with lock:
            if not path.exists():
                self.directory.mkdir(parents=True, exist_ok=True)
                fetch(image_id, path)
        return path


def create_overlay(base: Path, base_format: str, disk: Path, root_gb: int) -> None:
    """A qcow2 backed by ``base``, grown to the flavor's root disk when that is larger."""
    if disk.exists():
        return
    size = root_gb * GiB
    args = ["create", "-q", "-f", "qcow2", "-F", base_format, "-b", str(base.resolve())]
    if size and size > virtual_size(base):
        args += [str(disk) + ".part", str(size)]
    else:
        args += [str(disk) + ".part"]
    qemu_img(*args)
    (disk.parent / (disk.name + ".part")).rename(disk)
