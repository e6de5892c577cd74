"""The guest kernel: an uncompressed ``vmlinux`` taken out of Debian's bzImage.

QEMU boots an ELF ``vmlinux`` through its PVH entry point (Debian builds CONFIG_PVH=y),
skipping the real-mode setup and the in-guest decompression: under TCG that is the
difference between about 1.7 s and 4.5 s to userspace. Debian compresses the kernel
with xz; this does what the kernel's ``scripts/extract-vmlinux`` does.
"""

from __future__ import annotations

import lzma

XZ_MAGIC = b"\xfd7zXZ\x00"
ELF_MAGIC = b"\x7fELF"


class KernelError(ValueError):
    """No xz-compressed ELF kernel found in the bzImage."""


def extract_vmlinux(bzimage: bytes) -> bytes:
    """The ELF kernel inside ``bzimage``: the first xz stream that decompresses to ELF.

    The payload is followed by padding and other data, so decompress one stream and
    ignore what follows it; a magic-looking run of bytes elsewhere is skipped.
    """
    start = bzimage.find(XZ_MAGIC)
    while start != -1:
        decompressor = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
        try:
            data = decompressor.decompress(bzimage[start:])
        except lzma.LZMAError:
            data = b""
        if data.startswith(ELF_MAGIC):
            return data
        start = bzimage.find(XZ_MAGIC, start + 1)
    raise KernelError("no xz-compressed ELF payload in the kernel image")
