"""The bootable disk: MBR, one ext4 partition with the root tree, extlinux, as qcow2.

The filesystem is written straight into the image file by ``mkfs.ext4 -d`` at the
partition's offset. The boot files go in through a mount instead: ``mkfs -d`` leaves
zero blocks as holes and SYSLINUX cannot read a sparse file ("I/O error" loading the
kernel); and extlinux needs the filesystem mounted anyway (it records where its own
files lie). Loop devices here see no partitions, so the mount maps the partition by
offset. Needs root (mount), extlinux, syslinux-common and qemu-utils.
"""

from __future__ import annotations

import struct
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

SECTOR = 512
PARTITION_START = 1 << 20  # 1 MiB: the usual alignment, and room for nothing else
ROOT_LABEL = "haneul-root"
MBR_CODE = Path("/usr/lib/EXTLINUX/mbr.bin")  # syslinux-common
DISK_SIGNATURE = 0x484E4C54  # fixed ("HNLT"): reproducible images
# syslinux 6.04 reads ext4 but not every newer feature mke2fs enables by default.
EXT4_FEATURES = "^64bit,^metadata_csum_seed,^orphan_file"


class DiskError(RuntimeError):
    """A host tool needed to build the disk failed."""


def _run(argv: Sequence[str]) -> None:
    proc = subprocess.run(list(argv), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise DiskError(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.strip()}")


def _chs(lba: int) -> bytes:
    """CHS address for an MBR entry; past 1024 cylinders BIOSes use LBA: saturate."""
    heads, sectors = 255, 63
    cylinder, rest = divmod(lba, heads * sectors)
    if cylinder > 1023:
        return b"\xfe\xff\xff"
    head, sector = divmod(rest, sectors)
    return bytes([head, ((sector + 1) & 0x3F) | ((cylinder >> 2) & 0xC0), cylinder & 0xFF])


def partition_table(disk_bytes: int, start: int = PARTITION_START) -> bytes:
    """Bytes 440..512 of an MBR: signature, one bootable Linux partition to the end."""
    first = start // SECTOR
    count = disk_bytes // SECTOR - first
    entry = (b"\x80" + _chs(first) + b"\x83" + _chs(first + count - 1)
             + struct.pack("<II", first, count))
    return struct.pack("<IH", DISK_SIGNATURE, 0) + entry + b"\0" * 48 + b"\x55\xaa"


def write_raw(tree: Path, raw: Path, size: int, boot_files: Mapping[str, bytes],
              mbr_code: Path = MBR_CODE) -> None:
    """A raw disk image of ``size`` bytes: ``tree`` as its root, plus ``boot_files``
    (``boot/...`` paths: kernel, initramfs, ``boot/extlinux/extlinux.conf``)."""
    code = mbr_code.read_bytes()[:440]
    with raw.open("wb") as f:
        f.truncate(size)
        f.write(code.ljust(440, b"\0") + partition_table(size))
    part_size = size - PARTITION_START
    _run(["mkfs.ext4", "-q", "-F", "-L", ROOT_LABEL, "-O", EXT4_FEATURES, "-d", str(tree),
          "-E", f"offset={PARTITION_START}", str(raw), f"{part_size // 1024}k"])
    with tempfile.TemporaryDirectory(prefix="haneul-disk-") as mnt:
        # mount sets up the loop device itself and frees it on umount (autoclear).
        _run(["mount", "-t", "ext4", "-o",
              f"loop,offset={PARTITION_START},sizelimit={part_size}", str(raw), mnt])
        try:
            for rel, content in boot_files.items():
                dest = Path(mnt) / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(content)  # plain writes: every block allocated
            _run(["extlinux", "--install", f"{mnt}/boot/extlinux"])
        finally:
            _run(["umount", mnt])


def to_qcow2(raw: Path, qcow2: Path) -> None:
    # Compressed clusters: the image is read once into each host's base-image cache.
    _run(["qemu-img", "convert", "-c", "-f", "raw", "-O", "qcow2", str(raw), str(qcow2)])
