"""Disk image format inspection from an image's first bytes.

Two uses: the ``virtual_size`` Glance reports (the guest-visible disk size, read from
the format's header), and format enforcement: data whose content is not the declared
``disk_format``, or a qcow2 that points at a backing or external data file (which a
hypervisor would open on the host: CVE-2024-32498), is refused.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

DISK_FORMATS = ("ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso",
                "ploop")
CONTAINER_FORMATS = ("ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed")

# Formats whose content is a plain byte image of the disk: anything goes.
_RAW_LIKE = frozenset({"raw", "ami", "ari", "aki"})
# Formats that carry features a hypervisor would follow; never accepted as raw data.
_COMPLEX = frozenset({"qcow2", "vmdk", "vdi", "vhdx", "vhd"})


@dataclass(frozen=True)
class FormatInfo:
    format: str  # what the content looks like ("raw" when nothing else matches)
    virtual_size: int | None
    unsafe: str | None = None  # why the image must not be used, if it must not


def _u32be(b: bytes, off: int) -> int:
    return int(struct.unpack_from(">I", b, off)[0])


def _u64be(b: bytes, off: int) -> int:
    return int(struct.unpack_from(">Q", b, off)[0])


def _qcow2(head: bytes) -> FormatInfo:
    version = _u32be(head, 4)
    virtual_size = _u64be(head, 24)
    unsafe = None
    if _u64be(head, 8) != 0:  # backing_file_offset
        unsafe = "qcow2 images with a backing file are not allowed"
    elif version >= 3 and len(head) >= 80 and _u64be(head, 72) & 0x4:  # incompatible: data file
        unsafe = "qcow2 images with an external data file are not allowed"
    return FormatInfo("qcow2", virtual_size, unsafe)


def _vmdk(head: bytes) -> FormatInfo:
    capacity_sectors = int(struct.unpack_from("<Q", head, 12)[0])
    return FormatInfo("vmdk", capacity_sectors * 512)


def _vdi(head: bytes) -> FormatInfo:
    return FormatInfo("vdi", int(struct.unpack_from("<Q", head, 0x170)[0]))


def _vhd(head: bytes) -> FormatInfo:
    # Dynamic VHDs keep a copy of the footer at offset 0; current size is at 48.
    return FormatInfo("vhd", _u64be(head, 48))


def _iso(head: bytes) -> FormatInfo:
    pvd = 32768
    blocks = int(struct.unpack_from("<I", head, pvd + 80)[0])
    block_size = int(struct.unpack_from("<H", head, pvd + 128)[0])
    return FormatInfo("iso", blocks * block_size)


def inspect(head: bytes, size: int) -> FormatInfo:
    """What the data starting with ``head`` (``size`` bytes in all) looks like."""
    if len(head) >= 72 and head[:4] == b"QFI\xfb":
        return _qcow2(head)
    if len(head) >= 20 and head[:4] == b"KDMV":
        return _vmdk(head)
    if len(head) >= 0x178 and head[0x40:0x44] == b"\x7f\x10\xda\xbe":
        return _vdi(head)
    if len(head) >= 8 and head[:8] == b"vhdxfile":
        return FormatInfo("vhdx", None)
    if len(head) >= 64 and head[:8] == b"conectix":
        return _vhd(head)
    if len(head) >= 32768 + 136 and head[32769:32774] == b"CD001":
        return _iso(head)
    return FormatInfo("raw", size)


def mismatch(disk_format: str | None, info: FormatInfo) -> str | None:
    """Why data that looks like ``info`` may not be an image of ``disk_format``."""
    if info.unsafe:
        return info.unsafe
    if disk_format is None or disk_format == info.format:
        return None
    if disk_format in _RAW_LIKE:
        if info.format in _COMPLEX:
            return f"Image content is {info.format}, not {disk_format}"
        return None
    if disk_format == "iso" and info.format == "raw":
        # Hybrid ISOs and El Torito images may not carry the descriptor where we look.
        return None
    if disk_format == "ploop":
        return None
    return f"Image content does not match disk_format {disk_format}"


def virtual_size(disk_format: str | None, info: FormatInfo) -> int | None:
    """Glance's ``virtual_size``: from the header when the content is the declared format."""
    if disk_format == info.format or (disk_format in _RAW_LIKE and info.format == "raw"):
        return info.virtual_size
    return None
