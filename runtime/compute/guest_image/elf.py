"""Just enough of ELF64 to read what the image builder needs from Debian binaries.

Two questions: which shared libraries a program needs (``DT_NEEDED``), so the guest gets
dropbear's libraries and nothing more; and what a kernel module's ``.modinfo`` says
(``depends=``, ``softdep=``), so modules load in dependency order. Reading the files
ourselves keeps the build free of host tools (``readelf``, ``modinfo``) and testable.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

_SHT_DYNAMIC = 6
_DT_NULL = 0
_DT_NEEDED = 1
_DT_STRTAB = 5


class ELFError(ValueError):
    """The bytes are not a little-endian ELF64 file we can read."""


@dataclass(frozen=True)
class Section:
    name: str
    type: int
    addr: int
    offset: int
    size: int
    link: int


def _cstr(data: bytes, offset: int) -> str:
    end = data.index(b"\0", offset)
    return data[offset:end].decode()


def sections(data: bytes) -> list[Section]:
    """The section headers of an ELF64 little-endian file, with their names."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ELFError("not a little-endian ELF64 file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    raw = []
    for i in range(shnum):
        name, typ, _flags, addr, offset, size, link = struct.unpack_from(
            "<IIQQQQI", data, shoff + i * shentsize)
        raw.append((name, typ, addr, offset, size, link))
    names_offset = raw[shstrndx][3] if raw else 0
    return [Section(_cstr(data, names_offset + n), t, a, o, s, li) for n, t, a, o, s, li in raw]


def section_bytes(data: bytes, name: str) -> bytes | None:
    for sec in sections(data):
        if sec.name == name:
            return data[sec.offset:sec.offset + sec.size]
    return None


def needed_libraries(data: bytes) -> list[str]:
    """The ``DT_NEEDED`` entries of a dynamically linked program or library, in order."""
    secs = sections(data)
    dynamic = next((s for s in secs if s.type == _SHT_DYNAMIC), None)
    if dynamic is None:
        return []  # statically linked
    # .dynamic's sh_link names the string table its entries point into.
    strtab = secs[dynamic.link]
    needed: list[int] = []
    for off in range(dynamic.offset, dynamic.offset + dynamic.size, 16):
        tag, value = struct.unpack_from("<qQ", data, off)
        if tag == _DT_NULL:
            break
        if tag == _DT_NEEDED:
            needed.append(value)
    return [_cstr(data, strtab.offset + v) for v in needed]


def modinfo(data: bytes) -> dict[str, list[str]]:
    """A kernel module's ``.modinfo`` as ``key -> values`` (keys such as alias repeat)."""
    raw = section_bytes(data, ".modinfo")
    if raw is None:
        raise ELFError("no .modinfo section: not a kernel module")
    info: dict[str, list[str]] = {}
    for entry in raw.split(b"\0"):
        if b"=" in entry:
            key, _, value = entry.decode(errors="replace").partition("=")
            info.setdefault(key, []).append(value)
    return info
