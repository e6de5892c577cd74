"""Debian packages for the guest, fetched with apt-get and unpacked with dpkg -x.

Nothing is installed on the build host and nothing comes from anywhere but the host's
configured Debian archive.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

# The kernel comes from the linux-image-amd64 metapackage's current dependency.
KERNEL_METAPACKAGE = "linux-image-amd64"
USERLAND_PACKAGES: tuple[str, ...] = (
    "busybox-static",
    # dropbear and the libraries it links against (dpkg -x does not follow Depends).
    "dropbear-bin", "libc6", "libcrypt1", "libtomcrypt1", "libtommath1", "libgmp10", "zlib1g",
)

_KERNEL_DEPENDS = re.compile(r"^\s*Depends:\s*(linux-image-[0-9][^\s]*-amd64)\s*$", re.M)


class PackageError(RuntimeError):
    """apt-get or dpkg failed."""


def kernel_package_from_depends(apt_cache_depends: str) -> str:
    """``linux-image-6.1.0-56-amd64`` from ``apt-cache depends linux-image-amd64``."""
    match = _KERNEL_DEPENDS.search(apt_cache_depends)
    if match is None:
        raise PackageError(f"{KERNEL_METAPACKAGE} depends on no linux-image-*-amd64 package")
    return match[1]


def kernel_version(package: str) -> str:
    """``linux-image-6.1.0-56-amd64`` -> ``6.1.0-56-amd64`` (the modules directory)."""
    return package.removeprefix("linux-image-")


def _run(argv: Sequence[str], cwd: Path | None = None) -> str:
    proc = subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise PackageError(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout


def update() -> None:
    _run(["apt-get", "update", "-q"])


def resolve_kernel_package() -> str:
    try:
        return kernel_package_from_depends(_run(["apt-cache", "depends", KERNEL_METAPACKAGE]))
    except PackageError:
        # A fresh machine may have no package lists yet: fetch them once and ask again.
        update()
        return kernel_package_from_depends(_run(["apt-cache", "depends", KERNEL_METAPACKAGE]))


def download(packages: Sequence[str], into: Path) -> list[Path]:
    """``apt-get download`` the packages into ``into``; returns the .deb files."""
    into.mkdir(parents=True, exist_ok=True)
    # As root, apt drops privileges to _apt, which cannot write into a private temp dir;
    # downloading as the invoking user is what apt falls back to anyway, minus the warning.
    argv = ["apt-get", "-q", "-o", "APT::Sandbox::User=root", "download", *packages]
    try:
        _run(argv, cwd=into)
    except PackageError:
        # Stale lists name versions the archive no longer has (404): refresh, retry once.
        update()
        _run(argv, cwd=into)
    debs = sorted(into.glob("*.deb"))
    if len(debs) < len(packages):
        raise PackageError(f"apt-get download gave {len(debs)} files for {len(packages)} packages")
    return debs


def unpack(debs: Sequence[Path], into: Path) -> None:
    """``dpkg -x`` every package into one tree (no maintainer scripts run)."""
    into.mkdir(parents=True, exist_ok=True)
    for deb in debs:
        _run(["dpkg", "-x", str(deb), str(into)])


def package_versions(debs: Sequence[Path]) -> dict[str, str]:
    """``name -> version`` of downloaded packages, from their file names."""
    versions: dict[str, str] = {}
    for deb in debs:
        name, version, _arch = deb.stem.split("_")
        versions[name] = version.replace("%3a", ":")
    return versions
