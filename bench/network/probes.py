"""Watchers that time the dataplane from inside the lab's namespaces, each on a thread
that entered its namespace (``setns`` moves only the calling thread):

- :class:`HostsFileWatch`: when a MAC's line appears in a dnsmasq hosts file;
- :class:`DhcpProbe`: when dnsmasq first answers a DHCPDISCOVER for a MAC with an
  OFFER, asked every ``interval`` from a guest on the same network (the DISCOVER carries
  the MAC being measured as its client hardware address, which is what dnsmasq matches
  against its hosts; the broadcast flag makes the OFFER come back to the asking guest);
- :class:`Pinger`: ICMP echo requests every ``interval`` from a raw socket, and the times
  of the replies.
"""

from __future__ import annotations

import os
import random
import select
import socket
import struct
import threading
import time
from pathlib import Path

from runtime.network.agent.metadata import enter

SO_BINDTODEVICE = 25
_idents = [random.getrandbits(16)]  # ICMP identifiers: never reused within a run


def _next_ident() -> int:
    _idents[0] = (_idents[0] + 1) & 0xFFFF
    return _idents[0]


class _Watcher:
    """A daemon thread running :meth:`_run` until it is done or :meth:`stop`. Subclasses
    set their attributes before calling ``__init__``: the thread starts in it."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


class _InNamespace(_Watcher):
    """A watcher whose thread first enters ``namespace`` and opens its socket there
    (:meth:`_open`), then uses it (:meth:`_use`). ``__init__`` returns once the socket
    is open, and raises what entering or opening raised."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.error: BaseException | None = None
        self._ready = threading.Event()
        super().__init__()
        self._ready.wait(10)
        if self.error:
            raise self.error

    def _open(self) -> socket.socket:
        raise NotImplementedError

    def _use(self, sock: socket.socket) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        try:
            enter(self.namespace)
            sock = self._open()
        except BaseException as exc:
            self.error = exc
            self._ready.set()
            return
        self._ready.set()
        with sock:
            self._use(sock)


class HostsFileWatch(_Watcher):
    def __init__(self, path: Path, mac: str, interval: float = 0.002,
                 timeout: float = 30.0) -> None:
        self.path, self.mac = path, mac.lower()
        self.interval, self.timeout = interval, timeout
        self.seen: float | None = None
        super().__init__()

    def _run(self) -> None:
        deadline = time.monotonic() + self.timeout
        last: tuple[int, int] | None = None
        needle = self.mac + ","
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                st = os.stat(self.path)
                key = (st.st_ino, st.st_mtime_ns)
                if key != last:
                    last = key
                    if any(line.lower().startswith(needle)
                           for line in self.path.read_text().splitlines()):
                        self.seen = time.monotonic()
                        return
            except FileNotFoundError:
                pass
            time.sleep(self.interval)

    def wait(self) -> float | None:
        self._thread.join(self.timeout + 1)
        return self.seen


def _discover(xid: int, mac: str) -> bytes:
    chaddr = bytes.fromhex(mac.replace(":", "")) + bytes(10)
    header = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0x8000,
                         bytes(4), bytes(4), bytes(4), bytes(4), chaddr, bytes(64),
                         bytes(128))
    options = bytes([99, 130, 83, 99, 53, 1, 1, 55, 3, 1, 3, 6, 255])
    return header + options


def _offer(packet: bytes, xid: int, mac: str) -> str | None:
    """The offered address if ``packet`` is a DHCPOFFER for ``xid`` and ``mac``."""
    if len(packet) < 240 or packet[0] != 2:
        return None
    got_xid = struct.unpack("!I", packet[4:8])[0]
    if got_xid != xid or packet[28:34] != bytes.fromhex(mac.replace(":", "")):
        return None
    i = 240
    while i < len(packet) and packet[i] != 255:
        if packet[i] == 0:
            i += 1
            continue
        code, size = packet[i], packet[i + 1]
        if code == 53 and packet[i + 2] == 2:
            return socket.inet_ntoa(packet[16:20])
        i += 2 + size
    return None


class DhcpProbe(_InNamespace):
    """DHCPDISCOVERs for ``mac`` from ``namespace``'s ``device`` every ``interval``
    until an OFFER comes back (or :meth:`stop`)."""

    def __init__(self, namespace: str, mac: str, interval: float = 0.01,
                 timeout: float = 30.0, device: str = "eth0") -> None:
        self.mac, self.device = mac.lower(), device
        self.interval, self.timeout = interval, timeout
        self.offered: str | None = None
        self.seen: float | None = None
        self.sent = 0
        super().__init__(namespace)

    def _open(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, self.device.encode() + b"\0")
        sock.bind(("0.0.0.0", 68))
        return sock

    def _use(self, sock: socket.socket) -> None:
        xid = random.getrandbits(32)
        packet = _discover(xid, self.mac)
        deadline = time.monotonic() + self.timeout
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                sock.sendto(packet, ("255.255.255.255", 67))
                self.sent += 1
            except OSError:
                pass
            until = time.monotonic() + self.interval
            while (left := until - time.monotonic()) > 0:
                ready, _, _ = select.select([sock], [], [], left)
                if not ready:
                    break
                data = sock.recv(4096)
                offered = _offer(data, xid, self.mac)
                if offered is not None:
                    self.seen, self.offered = time.monotonic(), offered
                    return

    def wait(self) -> float | None:
        self._thread.join(self.timeout + 1)
        return self.seen


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


class Pinger(_InNamespace):
    """Echo requests to ``address`` from ``namespace`` every ``interval``; ``replies``
    holds the monotonic time of each reply. With ``fresh``, every request carries a new
    identifier, so each is a new flow to conntrack (none rides on an existing entry's
    NAT)."""

    def __init__(self, namespace: str, address: str, interval: float = 0.01,
                 fresh: bool = False) -> None:
        self.address, self.interval = address, interval
        self.fresh = fresh
        self.replies: list[float] = []
        self.sent = 0
        self._ident = _next_ident()
        self._idents = {self._ident}
        super().__init__(namespace)

    def _open(self) -> socket.socket:
        return socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)

    def _use(self, sock: socket.socket) -> None:
        seq = 0
        while not self._stop.is_set():
            seq = (seq + 1) & 0xFFFF
            if self.fresh:
                self._ident = _next_ident()
                self._idents.add(self._ident)
            body = struct.pack("!d", time.monotonic()) + bytes(48)
            head = struct.pack("!BBHHH", 8, 0, 0, self._ident, seq)
            packet = struct.pack("!BBHHH", 8, 0, _checksum(head + body), self._ident,
                                 seq) + body
            try:
                sock.sendto(packet, (self.address, 0))
                self.sent += 1
            except OSError:
                pass  # no neighbour yet: the kernel says so after its probes
            until = time.monotonic() + self.interval
            while (left := until - time.monotonic()) > 0:
                ready, _, _ = select.select([sock], [], [], left)
                if not ready:
                    break
                data, (source, _) = sock.recvfrom(4096)
                ihl = (data[0] & 0x0F) * 4
                if source != self.address or len(data) < ihl + 8:
                    continue
                kind, _, _, ident, _ = struct.unpack("!BBHHH", data[ihl:ihl + 8])
                if kind == 0 and ident in self._idents:
                    self.replies.append(time.monotonic())

    def first_after(self, t0: float) -> float | None:
        return next((t for t in list(self.replies) if t >= t0), None)
