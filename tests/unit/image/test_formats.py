"""Format inspection: virtual sizes from headers, and content that must be refused."""

from __future__ import annotations

import struct

import pytest

from runtime.image.formats import inspect, mismatch, virtual_size


def qcow2(size: int, backing: int = 0, version: int = 3, incompatible: int = 0) -> bytes:
    head = b"QFI\xfb" + struct.pack(">IQIIQ", version, backing, 0, 16, size)
    head = head.ljust(72, b"\0") + struct.pack(">Q", incompatible)
    return head.ljust(4096, b"\0")


def test_qcow2_virtual_size() -> None:
    info = inspect(qcow2(5 * 2**30), 4096)
    assert (info.format, info.virtual_size, info.unsafe) == ("qcow2", 5 * 2**30, None)
    assert virtual_size("qcow2", info) == 5 * 2**30
    assert mismatch("qcow2", info) is None


@pytest.mark.parametrize("head,why", [
    (qcow2(2**30, backing=512), "backing file"),
    (qcow2(2**30, incompatible=0x4), "data file"),
])
def test_unsafe_qcow2_is_refused_whatever_it_claims(head: bytes, why: str) -> None:
    info = inspect(head, len(head))
    for declared in ("qcow2", "raw"):
        reason = mismatch(declared, info)
        assert reason is not None and why in reason


def test_raw_accepts_anything_but_complex_formats() -> None:
    assert mismatch("raw", inspect(b"\x00" * 1000, 1000)) is None
    assert mismatch("raw", inspect(qcow2(2**30), 4096)) is not None
    assert virtual_size("raw", inspect(b"x" * 1000, 1000)) == 1000


def test_declared_format_must_match_content() -> None:
    assert mismatch("qcow2", inspect(b"random bytes" * 100, 1200)) is not None
    assert mismatch("vmdk", inspect(b"random bytes" * 100, 1200)) is not None
    vmdk = b"KDMV" + struct.pack("<IIQ", 1, 3, 2048)
    info = inspect(vmdk.ljust(512, b"\0"), 512)
    assert info.format == "vmdk" and info.virtual_size == 2048 * 512


def test_iso_and_vhd_and_vdi_sizes() -> None:
    iso = bytearray(40_000)
    iso[32769:32774] = b"CD001"
    struct.pack_into("<I", iso, 32768 + 80, 100)
    struct.pack_into("<H", iso, 32768 + 128, 2048)
    assert inspect(bytes(iso), len(iso)).virtual_size == 204_800
    vhd = bytearray(512)
    vhd[:8] = b"conectix"
    struct.pack_into(">Q", vhd, 48, 10 * 2**20)
    assert inspect(bytes(vhd), 512).virtual_size == 10 * 2**20
    vdi = bytearray(512)
    vdi[0x40:0x44] = b"\x7f\x10\xda\xbe"
    struct.pack_into("<Q", vdi, 0x170, 3 * 2**20)
    assert inspect(bytes(vdi), 512).virtual_size == 3 * 2**20
