"""An in-memory hypervisor for tests: guests change state at once and "boot" by writing
the haneul-test banner (with their instance id and user data) to a console log file."""

from __future__ import annotations

import shutil
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

from runtime.compute.drivers.base import (
    ComputeDriver,
    GuestError,
    GuestSpec,
    HostResources,
    ImageFetcher,
    Vif,
)
from runtime.compute.guest_image.banner import format_banner
from runtime.compute.states import PowerState


@dataclass
class FakeGuest:
    spec: GuestSpec
    power: PowerState
    console: FakeSerial | None = None
    vifs: dict[str, Vif] = field(default_factory=dict)  # by tap name

    def plug_all(self) -> None:
        self.vifs = {v.tap: v for v in self.spec.vifs}


class FakeSerial:
    """A guest's interactive serial port on loopback: it greets with the banner and
    echoes what it is sent, so the console proxy can be tested without QEMU."""

    def __init__(self, greeting: bytes) -> None:
        self.greeting = greeting
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        threading.Thread(target=self._serve, daemon=True, name="fake-serial").start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        with conn:
            conn.sendall(self.greeting)
            while data := conn.recv(4096):
                conn.sendall(b"echo: " + data)

    def close(self) -> None:
        self.sock.close()


class FakeDriver(ComputeDriver):
    def __init__(self, directory: Path, host: str = "fake-host", vcpus: int = 8,
                 memory_mb: int = 16384, local_gb: int = 200) -> None:
        self.directory = directory
        self.host = host
        self.resources = (vcpus, memory_mb, local_gb)
        self._guests: dict[str, FakeGuest] = {}
        self._lock = threading.Lock()
        # Tests make a guest fail to spawn by naming it so.
        self.fail_names = {"fail-to-spawn"}

    def host_resources(self) -> HostResources:
        vcpus, memory_mb, local_gb = self.resources
        return HostResources("fake", 1000, self.host, vcpus, memory_mb, local_gb, local_gb,
                             "127.0.0.1", {"arch": "x86_64", "model": "fake"})

    def guests(self) -> dict[str, PowerState]:
        with self._lock:
            return {i: g.power for i, g in self._guests.items()}

    def _get(self, server_id: str) -> FakeGuest:
        guest = self._guests.get(server_id)
        if guest is None:
            raise GuestError(f"no guest {server_id}")
        return guest

    def _boot(self, guest: FakeGuest) -> None:
        guest.power = PowerState.RUNNING
        path = self.console_path(guest.spec.server_id)
        assert path is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as log:
            # A few lines of "boot log", so that tails of the console can be told apart.
            log.write("".join(f"fake guest booting: step {i}\n" for i in range(1, 9)))
            if guest.spec.user_data:
                log.write(guest.spec.user_data.decode(errors="replace") + "\n")
            log.write(format_banner(guest.spec.server_id, guest.spec.hostname, []) + "\n")

    def spawn(self, spec: GuestSpec, fetch: ImageFetcher, start: bool = True,
              paused: bool = False) -> None:
        if spec.name in self.fail_names:
            raise GuestError(f"guest {spec.name} failed to start (as asked)")
        with self._lock:
            guest = self._guests.get(spec.server_id)
            if guest is None:
                guest = self._guests[spec.server_id] = FakeGuest(spec, PowerState.SHUTDOWN)
                guest.plug_all()
            if start and paused:
                guest.power = PowerState.PAUSED
            elif start and guest.power != PowerState.RUNNING:
                self._boot(guest)

    def power_on(self, server_id: str) -> None:
        with self._lock:
            guest = self._get(server_id)
            if guest.power != PowerState.RUNNING:
                self._boot(guest)

    def power_off(self, server_id: str, timeout: float) -> None:
        with self._lock:
            self._get(server_id).power = PowerState.SHUTDOWN

    def reboot(self, spec: GuestSpec, fetch: ImageFetcher, hard: bool,
               timeout: float) -> None:
        with self._lock:
            self._boot(self._get(spec.server_id))

    def pause(self, server_id: str) -> None:
        with self._lock:
            self._get(server_id).power = PowerState.PAUSED

    def unpause(self, server_id: str) -> None:
        with self._lock:
            self._get(server_id).power = PowerState.RUNNING

    def suspend(self, server_id: str) -> None:
        with self._lock:
            self._get(server_id).power = PowerState.SUSPENDED

    def resume(self, server_id: str) -> None:
        with self._lock:
            self._get(server_id).power = PowerState.RUNNING

    def _respawn(self, spec: GuestSpec, start: bool) -> None:
        with self._lock:
            guest = self._get(spec.server_id)
            guest.spec = spec
            guest.plug_all()
            guest.power = PowerState.SHUTDOWN
            if start:
                self._boot(guest)

    def rescue(self, spec: GuestSpec, fetch: ImageFetcher, timeout: float) -> None:
        self._respawn(spec, True)

    def unrescue(self, spec: GuestSpec, fetch: ImageFetcher) -> None:
        self._respawn(spec, True)

    def resize(self, spec: GuestSpec, fetch: ImageFetcher, start: bool, timeout: float) -> None:
        self._respawn(spec, start)

    def revert_resize(self, spec: GuestSpec, fetch: ImageFetcher, start: bool,
                      timeout: float) -> None:
        self._respawn(spec, start)

    def confirm_resize(self, server_id: str) -> None:
        self._get(server_id)

    def rebuild(self, spec: GuestSpec, fetch: ImageFetcher, start: bool, timeout: float) -> None:
        self._respawn(spec, start)

    def snapshot(self, server_id: str, dest: Path) -> str:
        with self._lock:
            guest = self._get(server_id)
        # A tiny but valid qcow2 header is not needed by the fake: raw bytes naming the
        # guest let tests check what was uploaded.
        dest.write_bytes(f"snapshot of {guest.spec.server_id}\n".encode() * 64)
        return "raw"

    def console_endpoint(self, server_id: str) -> tuple[str, int] | None:
        with self._lock:
            guest = self._guests.get(server_id)
            if guest is None:
                return None
            if guest.console is None:
                banner = format_banner(server_id, guest.spec.hostname, []) + "\r\n"
                guest.console = FakeSerial(banner.encode())
            return "127.0.0.1", guest.console.port

    def interfaces(self, server_id: str) -> set[str] | None:
        with self._lock:
            guest = self._guests.get(server_id)
            return set(guest.vifs) if guest is not None else None

    def vifs(self, server_id: str) -> list[Vif]:
        """The guest's interfaces now (for tests)."""
        with self._lock:
            return list(self._get(server_id).vifs.values())

    def attach_interface(self, server_id: str, vif: Vif) -> None:
        with self._lock:
            self._get(server_id).vifs[vif.tap] = vif

    def detach_interface(self, server_id: str, tap: str) -> None:
        with self._lock:
            self._get(server_id).vifs.pop(tap, None)

    def destroy(self, server_id: str) -> None:
        with self._lock:
            guest = self._guests.pop(server_id, None)
        if guest is not None and guest.console is not None:
            guest.console.close()
        shutil.rmtree(self.directory / server_id, ignore_errors=True)

    def console_path(self, server_id: str) -> Path | None:
        return self.directory / server_id / "console.log"

    def crash(self, server_id: str) -> None:
        """What a guest that powers itself off looks like (for power-sync tests)."""
        with self._lock:
            self._get(server_id).power = PowerState.SHUTDOWN
