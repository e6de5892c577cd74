"""Build the ``haneul-test`` guest image into a cache directory, once.

Outputs, side by side (``~/.cache/haneul/images`` by default):

- ``haneul-test.qcow2`` — a whole bootable disk (SeaBIOS -> extlinux -> kernel + initramfs
  -> ext4 root on the first partition); what goes into the image service.
- ``haneul-test.vmlinux`` and ``haneul-test.initrd`` — the same kernel, uncompressed, and
  initramfs for direct kernel boot (QEMU's PVH entry: the fast path under TCG).
- ``haneul-test.json`` — the manifest: kernel version, command line, package versions,
  sizes and checksums, and the recipe hash that decides whether a rebuild is needed.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from runtime.compute.guest_image import cpio, disk, kernel, packages, rootfs

NAME = "haneul-test"
DISK_SIZE = 128 << 20  # virtual size; the filesystem inside uses about a fifth of it
# Kernel arguments for both boot paths; the disk's extlinux adds root=LABEL=haneul-root.
CMDLINE = "console=tty0 console=ttyS0,115200n8 quiet"
REQUIRED_TOOLS = ("apt-get", "apt-cache", "dpkg", "mkfs.ext4", "mount", "umount", "extlinux",
                  "qemu-img")
MANIFEST_VERSION = 1


class BuildError(RuntimeError):
    """The image cannot be built on this host (a missing tool, not root, ...)."""


@dataclass(frozen=True)
class GuestImage:
    """The built artifacts. ``cmdline`` is for direct kernel boot."""

    directory: Path
    qcow2: Path
    vmlinux: Path
    initrd: Path
    manifest: dict[str, Any]

    @property
    def cmdline(self) -> str:
        return str(self.manifest["cmdline"])

    @property
    def disk_cmdline(self) -> str:
        """Direct kernel boot with the qcow2 attached: run from its root filesystem."""
        return f"root=LABEL={disk.ROOT_LABEL} {self.cmdline}"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "haneul" / "images"


def recipe_hash(kernel_package: str) -> str:
    """What the image is made of: our code, our assets and the package names.

    A new Debian point release of a package does not rebuild the image; a new kernel
    ABI, a changed asset or a changed builder does.
    """
    digest = hashlib.sha256(f"v{MANIFEST_VERSION} {CMDLINE} {DISK_SIZE}\n".encode())
    digest.update(" ".join([kernel_package, *packages.USERLAND_PACKAGES]).encode())
    package = resources.files(__package__)
    for name in sorted(p.name for p in package.iterdir() if p.name.endswith(".py")):
        digest.update(name.encode() + package.joinpath(name).read_bytes())
    for name in rootfs.asset_names():
        digest.update(name.encode() + package.joinpath("assets", name).read_bytes())
    return digest.hexdigest()


def _paths(directory: Path) -> tuple[Path, Path, Path, Path]:
    return (directory / f"{NAME}.qcow2", directory / f"{NAME}.vmlinux",
            directory / f"{NAME}.initrd", directory / f"{NAME}.json")


def cached(directory: Path, recipe: str | None = None) -> GuestImage | None:
    """The image in ``directory`` if complete (and built from ``recipe``, if given)."""
    qcow2, vmlinux, initrd, manifest_path = _paths(directory)
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        return None
    if recipe is not None and manifest.get("recipe") != recipe:
        return None
    if not all(p.exists() for p in (qcow2, vmlinux, initrd)):
        return None
    return GuestImage(directory, qcow2, vmlinux, initrd, manifest)


def check_host() -> None:
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if not disk.MBR_CODE.exists():
        missing.append(f"{disk.MBR_CODE} (syslinux-common)")
    if missing:
        raise BuildError("missing on this host: " + ", ".join(missing)
                         + " (apt-get install extlinux syslinux-common qemu-utils e2fsprogs)")
    if os.geteuid() != 0:
        raise BuildError("building the disk mounts its filesystem to install extlinux: run as root")


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """One build per cache directory at a time; a waiter then finds the image built."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def write_sparse(path: Path, data: bytes, block: int = 1 << 16) -> None:
    """Write ``data`` leaving all-zero blocks as holes (vmlinux is ~40% zeros)."""
    zero = bytes(block)
    with path.open("wb") as f:
        for offset in range(0, len(data), block):
            chunk = data[offset:offset + block]
            if chunk == zero[:len(chunk)]:
                f.seek(len(chunk), os.SEEK_CUR)
            else:
                f.write(chunk)
        f.truncate(len(data))


def make_initrd(tree: Path) -> bytes:
    entries = [*cpio.tree_entries(tree), cpio.char_device("dev/console", 5, 1)]
    # mtime=0: the same tree gives the same bytes.
    return gzip.compress(cpio.encode(entries), compresslevel=9, mtime=0)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def build(output: Path | None = None, force: bool = False,
          log: Callable[[str], None] = print) -> GuestImage:
    """Build the image into ``output`` (default: the cache), or reuse a current one."""
    directory = (output or default_cache_dir()).resolve()
    kernel_package = packages.resolve_kernel_package()
    recipe = recipe_hash(kernel_package)
    with _locked(directory):
        existing = None if force else cached(directory, recipe)
        if existing is not None:
            log(f"{NAME}: up to date in {directory}")
            return existing
        check_host()
        with tempfile.TemporaryDirectory(prefix=".build-", dir=directory) as tmp:
            work = Path(tmp)
            result = _build_into(work, directory, kernel_package, recipe, log)
        log(f"{NAME}: built {result.qcow2} ({result.qcow2.stat().st_size >> 20} MiB)")
        return result


def _build_into(work: Path, directory: Path, kernel_package: str, recipe: str,
                log: Callable[[str], None]) -> GuestImage:
    kver = packages.kernel_version(kernel_package)
    log(f"{NAME}: downloading {kernel_package} and {len(packages.USERLAND_PACKAGES)} packages")
    debs = packages.download([kernel_package, *packages.USERLAND_PACKAGES], work / "debs")
    unpacked = work / "unpacked"
    packages.unpack(debs, unpacked)

    log(f"{NAME}: staging the root tree")
    tree = work / "tree"
    module_order = rootfs.stage(unpacked, kver, tree)
    initrd = make_initrd(tree)
    boot_tree = work / "boot-initrd"
    rootfs.stage_boot_initrd(tree, kver, rootfs.root_module_paths(unpacked, kver), boot_tree)
    boot_initrd = make_initrd(boot_tree)
    bzimage = (unpacked / f"boot/vmlinuz-{kver}").read_bytes()
    vmlinux = kernel.extract_vmlinux(bzimage)

    log(f"{NAME}: writing the disk")
    boot_files = {
        "boot/vmlinuz": bzimage,
        "boot/initrd.img": boot_initrd,
        "boot/extlinux/extlinux.conf":
            rootfs.asset_text("extlinux.conf").replace("@CMDLINE@", CMDLINE).encode(),
    }
    raw = work / "disk.raw"
    disk.write_raw(tree, raw, DISK_SIZE, boot_files)

    qcow2, vmlinux_path, initrd_path, manifest_path = _paths(directory)
    staged = work / "out"
    staged.mkdir()
    disk.to_qcow2(raw, staged / qcow2.name)
    write_sparse(staged / vmlinux_path.name, vmlinux)
    (staged / initrd_path.name).write_bytes(initrd)

    manifest: dict[str, Any] = {
        "name": NAME,
        "recipe": recipe,
        "kernel_version": kver,
        "cmdline": CMDLINE,
        "root_label": disk.ROOT_LABEL,
        "virtual_size": DISK_SIZE,
        "packages": packages.package_versions(debs),
        "modules": module_order,
        "files": {},
    }
    # Replace the previous build file by file; the manifest goes last, so a crash in
    # between leaves no manifest that vouches for a mix.
    manifest_path.unlink(missing_ok=True)
    for final in (qcow2, vmlinux_path, initrd_path):
        os.replace(staged / final.name, final)
        manifest["files"][final.name] = {"size": final.stat().st_size, "sha256": _sha256(final)}
    tmp_manifest = work / manifest_path.name
    tmp_manifest.write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(tmp_manifest, manifest_path)
    return GuestImage(directory, qcow2, vmlinux_path, initrd_path, manifest)
