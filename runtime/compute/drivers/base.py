"""What the compute agent asks of a hypervisor driver.

Every operation is idempotent (spawning a guest that exists makes sure it is defined
and running; destroying one that is gone does nothing), because the agent converges by
repeating them. No hypervisor library type appears here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runtime.compute.states import PowerState

# Writes the data of image ``image_id`` to ``path`` (the agent fetches it from the
# controller); the driver decides where and when it needs an image.
ImageFetcher = Callable[[str, Path], None]


class GuestError(RuntimeError):
    """A guest operation failed; the message is shown in the server's fault."""


@dataclass(frozen=True)
class HostResources:
    hypervisor_type: str
    hypervisor_version: int
    hypervisor_hostname: str
    vcpus: int
    memory_mb: int
    local_gb: int
    free_disk_gb: int
    host_ip: str | None = None
    cpu_info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BootImage:
    """An image a guest boots from: its disk, and its kernel for direct boot."""

    image_id: str
    image_format: str
    kernel_id: str | None = None
    ramdisk_id: str | None = None
    cmdline: str | None = None


@dataclass(frozen=True)
class Vif:
    """A guest's network interface: a tap on its network's Linux bridge. The names
    are the network agent's (it creates and adopts the same bridges and taps)."""

    port_id: str
    network_id: str
    mac_address: str
    mtu: int = 1500

    @property
    def bridge(self) -> str:
        return "brq" + self.network_id[:11]

    @property
    def tap(self) -> str:
        return "tap" + self.port_id[:11]


@dataclass(frozen=True)
class GuestSpec:
    """One server as the hypervisor needs it."""

    server_id: str
    name: str
    hostname: str
    vcpus: int
    memory_mb: int
    root_gb: int
    image_id: str
    image_format: str
    kernel_id: str | None = None
    ramdisk_id: str | None = None
    cmdline: str | None = None
    config_drive: bool = False
    # The config drive's meta_data.json, user data and network data.
    metadata: dict[str, Any] = field(default_factory=dict)
    user_data: bytes | None = None
    network_data: dict[str, Any] | None = None
    # While rescued: the image booted instead, with the server's disk as the second one.
    rescue: BootImage | None = None
    vifs: tuple[Vif, ...] = ()


class ComputeDriver(ABC):
    """A hypervisor on this host."""

    # Whether guests' NICs are real devices on the host's bridges, which a network
    # agent wires (and then reports their ports ACTIVE).
    plugs_vifs = False

    @abstractmethod
    def host_resources(self) -> HostResources:
        """What this host offers, for the scheduler."""

    @abstractmethod
    def guests(self) -> dict[str, PowerState]:
        """The power state of every guest this driver made, by server id."""

    @abstractmethod
    def spawn(self, spec: GuestSpec, fetch: ImageFetcher, start: bool = True,
              paused: bool = False) -> None:
        """Make the guest's disk and config drive, define it and (if ``start``) run it;
        ``paused``: start it with its devices present but its CPUs stopped, until
        :meth:`unpause`."""

    @abstractmethod
    def power_on(self, server_id: str) -> None:
        """Run a guest that is shut off, paused or suspended."""

    @abstractmethod
    def power_off(self, server_id: str, timeout: float) -> None:
        """Ask the guest to shut down (ACPI); pull the plug after ``timeout`` seconds."""

    @abstractmethod
    def reboot(self, spec: GuestSpec, fetch: ImageFetcher, hard: bool,
               timeout: float) -> None:
        """Soft: a clean shutdown then start; hard: destroy and start again."""

    @abstractmethod
    def pause(self, server_id: str) -> None: ...

    @abstractmethod
    def unpause(self, server_id: str) -> None: ...

    @abstractmethod
    def suspend(self, server_id: str) -> None:
        """Save the guest's memory to disk and stop it."""

    @abstractmethod
    def resume(self, server_id: str) -> None: ...

    @abstractmethod
    def rescue(self, spec: GuestSpec, fetch: ImageFetcher, timeout: float) -> None:
        """Shut the guest down and boot ``spec.rescue`` with the guest's disk attached."""

    @abstractmethod
    def unrescue(self, spec: GuestSpec, fetch: ImageFetcher) -> None:
        """Boot the guest from its own disk again, dropping the rescue disk."""

    @abstractmethod
    def resize(self, spec: GuestSpec, fetch: ImageFetcher, start: bool, timeout: float) -> None:
        """Redefine the guest with ``spec``'s size, growing its disk; the disk as it was
        is kept until :meth:`confirm_resize` (or brought back by :meth:`revert_resize`)."""

    @abstractmethod
    def revert_resize(self, spec: GuestSpec, fetch: ImageFetcher, start: bool,
                      timeout: float) -> None: ...

    @abstractmethod
    def confirm_resize(self, server_id: str) -> None: ...

    @abstractmethod
    def rebuild(self, spec: GuestSpec, fetch: ImageFetcher, start: bool, timeout: float) -> None:
        """A new root disk (and config drive) from ``spec``'s image."""

    @abstractmethod
    def snapshot(self, server_id: str, dest: Path) -> str:
        """Write a standalone copy of the guest's root disk to ``dest``; its format."""

    @abstractmethod
    def destroy(self, server_id: str) -> None:
        """Remove the guest: domain, disks, config drive and console log."""

    @abstractmethod
    def console_path(self, server_id: str) -> Path | None:
        """The file the guest's serial console is written to, if any."""

    def console_endpoint(self, server_id: str) -> tuple[str, int] | None:
        """Where the guest's interactive serial console listens (TCP), if anywhere."""
        return None

    def interfaces(self, server_id: str) -> set[str] | None:
        """The tap names of the guest's network interfaces (None: no such guest)."""
        return None

    def attach_interface(self, server_id: str, vif: Vif) -> None:
        """Plug ``vif`` into the guest, running or not, and keep it in its definition."""
        raise GuestError("this hypervisor driver cannot attach interfaces")

    def detach_interface(self, server_id: str, tap: str) -> None:
        """Unplug the interface on tap ``tap`` from the guest and its definition."""
        raise GuestError("this hypervisor driver cannot detach interfaces")

    def power_state(self, server_id: str) -> PowerState | None:
        """The guest's power state, or None when there is no such guest."""
        return self.guests().get(server_id)

    def close(self) -> None:  # noqa: B027 (most drivers hold nothing to release)
        """Release connections."""
