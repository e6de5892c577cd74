"""Which kernel modules the guest needs, and the order to insmod them in.

Debian builds the drivers a cloud guest needs (virtio, ext4, e1000, ACPI button, evdev,
iso9660) as modules. The guest has no udev and no modules.dep, so the image builder
resolves dependencies once, from each module's own ``.modinfo`` (``depends=``), and the
init script insmods the resulting list in order.
"""

from __future__ import annotations

import lzma
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from runtime.compute.guest_image import elf

# Ordered as the guest should load them; dependencies are pulled in ahead automatically.
GUEST_MODULES: tuple[str, ...] = (
    "virtio_pci", "virtio_blk", "virtio_net", "virtio_scsi", "sd_mod", "ext4",
    "e1000",
    "ata_piix", "ahci", "sr_mod", "isofs",  # config drive on an IDE/SATA CD-ROM
    "button", "evdev",  # ACPI power button -> /dev/input/event*
)


# What the disk's own initramfs needs to mount the root filesystem (virtio, SCSI, SATA
# and IDE disks, ext4); the rest load from the disk once it is mounted.
ROOT_MODULES: tuple[str, ...] = (
    "virtio_pci", "virtio_blk", "virtio_scsi", "sd_mod", "ata_piix", "ahci", "ext4",
)


class ModuleError(LookupError):
    """A module (or one it depends on) is not in the kernel's module tree."""


@dataclass(frozen=True)
class KernelModule:
    name: str
    path: Path
    depends: tuple[str, ...]
    softdeps_pre: tuple[str, ...] = ()


def module_name(path: Path | str) -> str:
    """``.../kernel/drivers/virtio/virtio-pci.ko.xz`` -> ``virtio_pci`` (kmod's rule)."""
    name = Path(path).name.split(".ko")[0]
    return name.replace("-", "_")


def read_ko(path: Path) -> bytes:
    """A module file's ELF bytes, decompressing ``.ko.xz`` (busybox insmod wants ELF)."""
    data = path.read_bytes()
    return lzma.decompress(data) if path.name.endswith(".ko.xz") else data


def parse_softdeps(values: Iterable[str]) -> tuple[str, ...]:
    """The ``pre:`` names of ``softdep=`` lines, e.g. ``pre: crc32c post: x`` -> crc32c."""
    pre: list[str] = []
    for value in values:
        words = value.split()
        mode = ""
        for word in words:
            if word.endswith(":"):
                mode = word[:-1]
            elif mode == "pre":
                pre.append(word.replace("-", "_"))
    return tuple(pre)


def index_tree(modules_dir: Path) -> dict[str, Path]:
    """Every module file under ``lib/modules/VERSION`` by module name."""
    found: dict[str, Path] = {}
    for path in sorted(modules_dir.rglob("*.ko*")):
        if path.name.endswith((".ko", ".ko.xz")):
            found[module_name(path)] = path
    return found


def load_module(name: str, index: Mapping[str, Path]) -> KernelModule:
    path = index.get(name)
    if path is None:
        raise ModuleError(f"kernel module {name!r} not found (built in, or not built?)")
    info = elf.modinfo(read_ko(path))
    depends = tuple(d.replace("-", "_") for v in info.get("depends", []) for d in v.split(",") if d)
    return KernelModule(name, path, depends, parse_softdeps(info.get("softdep", [])))


def soft_candidates(name: str) -> tuple[str, ...]:
    """Module names that may provide a soft dependency named by an alias.

    ext4 asks for ``crypto-crc32c`` and crc-t10dif for ``crct10dif``: crypto aliases.
    Without modules.alias we take the portable implementation, ``<alg>_generic``; the
    accelerated ones (crc32c-intel, crct10dif-pclmul) need CPU features QEMU's TCG CPU
    model lacks.
    """
    alg = name.removeprefix("crypto_")
    return (name, f"{alg}_generic")


def load_order(wanted: Iterable[str], lookup: Callable[[str], KernelModule],
               builtin: frozenset[str] = frozenset()) -> list[KernelModule]:
    """Modules to insmod, each after everything it depends on (depth-first, stable).

    Hard dependencies must exist; a soft ``pre:`` dependency is honoured when it (or its
    generic implementation) is a real module and skipped otherwise, as modprobe skips a
    missing soft dependency. Built-in modules are skipped.
    """
    order: list[KernelModule] = []
    done: set[str] = set()
    visiting: set[str] = set()

    def visit(name: str, soft: bool) -> bool:
        """Queue ``name`` after its dependencies; False if a soft one does not exist."""
        if name in done or name in builtin:
            return True
        if name in visiting:
            raise ModuleError(f"dependency cycle through {name!r}")
        try:
            module = lookup(name)
        except ModuleError:
            if soft:
                return False
            raise
        visiting.add(name)
        for dep in module.softdeps_pre:
            # The first candidate that exists satisfies the soft dependency.
            any(visit(candidate, soft=True) for candidate in soft_candidates(dep))
        for dep in module.depends:
            visit(dep, soft=False)
        visiting.discard(name)
        done.add(name)
        order.append(module)
        return True

    for name in wanted:
        visit(name, soft=False)
    return order


def builtin_modules(modules_dir: Path) -> frozenset[str]:
    """Names listed in ``modules.builtin`` (shipped by the kernel package)."""
    listing = modules_dir / "modules.builtin"
    if not listing.exists():
        return frozenset()
    return frozenset(module_name(line) for line in listing.read_text().split() if line)


def resolve(modules_dir: Path, wanted: Iterable[str] = GUEST_MODULES) -> list[KernelModule]:
    index = index_tree(modules_dir)
    cache: dict[str, KernelModule] = {}

    def lookup(name: str) -> KernelModule:
        if name not in cache:
            cache[name] = load_module(name, index)
        return cache[name]

    return load_order(wanted, lookup, builtin_modules(modules_dir))
