"""The guest's root tree, assembled from unpacked Debian packages and our assets.

One tree serves both boot paths: packed as the initramfs (direct kernel boot runs from
it) and copied onto the disk's ext4 partition (extlinux boots the same initramfs, whose
/init then switches to the disk). The root password is ``haneul`` on the serial console
only; SSH accepts keys alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from runtime.compute.guest_image import elf, modules

LIB_DIRS = ("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu")
LOADER = "ld-linux-x86-64.so.2"
DROPBEAR_PROGRAMS = ("usr/sbin/dropbear", "usr/bin/dropbearkey", "usr/bin/dbclient")

# asset name -> (path in the guest, mode)
ASSETS: dict[str, tuple[str, int]] = {
    "init": ("init", 0o755),
    "inittab": ("etc/inittab", 0o644),
    "rcS": ("etc/init.d/rcS", 0o755),
    "rcK": ("etc/init.d/rcK", 0o755),
    "udhcpc.script": ("usr/lib/haneul/udhcpc.script", 0o755),
    "acpi-watch": ("usr/lib/haneul/acpi-watch", 0o755),
    "json.awk": ("usr/lib/haneul/json.awk", 0o644),
    "passwd": ("etc/passwd", 0o644),
    "group": ("etc/group", 0o644),
    "shadow": ("etc/shadow", 0o600),
    "shells": ("etc/shells", 0o644),
    "profile": ("etc/profile", 0o644),
    "os-release": ("etc/os-release", 0o644),
}
DIRECTORIES = ("dev", "proc", "sys", "run", "tmp", "mnt", "root", "etc/dropbear",
               "var/log", "bin", "sbin", "usr/bin", "usr/sbin")


def asset_text(name: str) -> str:
    return resources.files(__package__).joinpath("assets", name).read_text()


def asset_names() -> list[str]:
    return sorted(p.name for p in resources.files(__package__).joinpath("assets").iterdir()
                  if p.is_file())


def _find_library(unpacked: Path, soname: str) -> Path:
    for libdir in LIB_DIRS:
        candidate = unpacked / libdir / soname
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"shared library {soname} is in none of the unpacked packages")


def library_closure(unpacked: Path, programs: Iterable[Path]) -> dict[str, Path]:
    """``soname -> file`` for every library the programs need, transitively."""
    found: dict[str, Path] = {}
    pending = [lib for program in programs for lib in elf.needed_libraries(program.read_bytes())]
    while pending:
        soname = pending.pop()
        if soname in found:
            continue
        path = _find_library(unpacked, soname)
        found[soname] = path
        pending.extend(elf.needed_libraries(path.resolve().read_bytes()))
    return found


def _install(src: Path, dest: Path, mode: int) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)  # follows symlinks: the guest gets the file under this name
    dest.chmod(mode)


def _relative_link(target: str, link: Path, root: Path) -> None:
    """``link`` -> ``target`` (a guest path), as a relative symlink."""
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.exists() or link.is_symlink():
        return
    link.symlink_to(os.path.relpath(root / target, link.parent))


def install_busybox(unpacked: Path, root: Path) -> None:
    _install(unpacked / "bin/busybox", root / "bin/busybox", 0o755)
    # The static busybox runs on any x86-64 Linux host: ask it where its applets live.
    listing = subprocess.run([str(unpacked / "bin/busybox"), "--list-full"], check=True,
                             capture_output=True, text=True).stdout
    for applet in listing.split():
        _relative_link("bin/busybox", root / applet, root)


def install_dropbear(unpacked: Path, root: Path) -> None:
    programs = [unpacked / p for p in DROPBEAR_PROGRAMS]
    for program, rel in zip(programs, DROPBEAR_PROGRAMS, strict=True):
        _install(program, root / rel, 0o755)
    for soname, path in library_closure(unpacked, programs).items():
        _install(path, root / LIB_DIRS[0] / soname, 0o755)
    _install(_find_library(unpacked, LOADER), root / LIB_DIRS[0] / LOADER, 0o755)
    _relative_link(f"{LIB_DIRS[0]}/{LOADER}", root / "lib64" / LOADER, root)


def install_modules(unpacked: Path, kernel_version: str, root: Path) -> list[str]:
    """Copy the resolved modules (uncompressed) and write their load order for /init.

    Returns the order as paths relative to ``lib/modules/VERSION``.
    """
    tree = unpacked / "lib/modules" / kernel_version
    order: list[str] = []
    for module in modules.resolve(tree):
        rel = module_rel(module, tree)
        dest = root / "lib/modules" / kernel_version / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(modules.read_ko(module.path))
        order.append(rel)
    (root / "etc/haneul").mkdir(parents=True, exist_ok=True)
    (root / "etc/haneul/modules").write_text("".join(f"{rel}\n" for rel in order))
    return order


def module_rel(module: modules.KernelModule, tree: Path) -> str:
    return module.path.relative_to(tree).as_posix().removesuffix(".xz")


def root_module_paths(unpacked: Path, kernel_version: str) -> list[str]:
    tree = unpacked / "lib/modules" / kernel_version
    return [module_rel(m, tree) for m in modules.resolve(tree, modules.ROOT_MODULES)]


def stage_boot_initrd(full: Path, kernel_version: str, root_modules: Iterable[str],
                      dest: Path) -> None:
    """The disk's initramfs: busybox, /init and the modules that mount the root.

    SYSLINUX reads the kernel and initramfs through BIOS calls, slowly under TCG (about
    2 MB/s), so the disk carries this small one; the full initramfs (for booting with
    no disk) has everything. /init skips listed modules that are not in its tree, and
    rcS loads them from the disk.
    """
    wanted = ["init", "bin/busybox", "etc/haneul/modules",
              *(f"lib/modules/{kernel_version}/{rel}" for rel in root_modules)]
    for directory in ("dev", "proc", "sys", "bin", "sbin", "usr/bin", "usr/sbin"):
        (dest / directory).mkdir(parents=True, exist_ok=True)
    for rel in wanted:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(full / rel, dest / rel)
    # busybox's applet links, wherever they are
    busybox = (full / "bin/busybox").resolve()
    for path in full.rglob("*"):
        if path.is_symlink() and path.resolve() == busybox:
            link = dest / path.relative_to(full)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(os.readlink(path))


def install_assets(root: Path) -> None:
    for name, (rel, mode) in ASSETS.items():
        dest = root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(asset_text(name))
        dest.chmod(mode)


def stage(unpacked: Path, kernel_version: str, root: Path) -> list[str]:
    """Build the guest tree in ``root``; returns the module load order."""
    for directory in DIRECTORIES:
        (root / directory).mkdir(parents=True, exist_ok=True)
    (root / "root").chmod(0o700)
    (root / "tmp").chmod(0o1777)
    install_assets(root)
    install_dropbear(unpacked, root)
    install_busybox(unpacked, root)  # after dropbear and assets: links never overwrite
    (root / "etc/hostname").write_text("haneul-test\n")
    (root / "var/run").symlink_to("../run")
    return install_modules(unpacked, kernel_version, root)
