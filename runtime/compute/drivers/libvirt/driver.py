"""The libvirt driver: QEMU guests (KVM where the host really has it, TCG otherwise).

Per server, ``instances/<id>/`` holds ``disk`` (a qcow2 overlay on the cached base
image), ``disk.config`` (the config drive ISO) and ``console.log`` (the serial console).
Destroying a server removes its domain and that directory.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import libvirt

from runtime.compute.drivers.base import (
    BootImage,
    ComputeDriver,
    GuestError,
    GuestSpec,
    HostResources,
    ImageFetcher,
    Vif,
)
from runtime.compute.drivers.libvirt import accel, bridges, images
from runtime.compute.drivers.libvirt.xml import (
    NAME_PREFIX,
    Disk,
    DomainSpec,
    Interface,
    domain_xml,
    interface_xml,
)
from runtime.compute.states import PowerState

RAW_FORMATS = {"raw", "ami", "aki", "ari", "iso"}

_POWER = {
    libvirt.VIR_DOMAIN_NOSTATE: PowerState.NOSTATE,
    libvirt.VIR_DOMAIN_RUNNING: PowerState.RUNNING,
    libvirt.VIR_DOMAIN_BLOCKED: PowerState.RUNNING,
    libvirt.VIR_DOMAIN_PAUSED: PowerState.PAUSED,
    libvirt.VIR_DOMAIN_SHUTDOWN: PowerState.SHUTDOWN,
    libvirt.VIR_DOMAIN_SHUTOFF: PowerState.SHUTDOWN,
    libvirt.VIR_DOMAIN_CRASHED: PowerState.CRASHED,
    libvirt.VIR_DOMAIN_PMSUSPENDED: PowerState.SUSPENDED,
}


def _quiet(_ctx: Any, _err: Any) -> None:
    """libvirt prints every error to stderr by default; they are raised as exceptions."""


libvirt.registerErrorHandler(_quiet, None)


def _bindable(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _interface(vif: Vif) -> Interface:
    return Interface(mac=vif.mac_address, bridge=vif.bridge, tap=vif.tap, mtu=vif.mtu)


def _format(image_format: str) -> str:
    """The qemu-img format of an image's data (AMI-style formats are raw)."""
    return "raw" if image_format in RAW_FORMATS else image_format


class LibvirtDriver(ComputeDriver):
    plugs_vifs = True

    def __init__(self, instances: Path, uri: str = "qemu:///system", virt_type: str = "auto",
                 host: str = "localhost", reserved_memory_mb: int = 512,
                 reserved_disk_mb: int = 0, reserved_cpus: int = 0,
                 serial_listen: str | None = "127.0.0.1",
                 serial_ports: tuple[int, int] = (10000, 20000)) -> None:
        self.instances = instances
        self.uri = uri
        self.domain_type = accel.domain_type(virt_type)
        self.host = host
        self.reserved = (reserved_memory_mb, reserved_disk_mb, reserved_cpus)
        self.cache = images.ImageCache(instances)
        self._conn: libvirt.virConnect | None = None
        self._conn_lock = threading.Lock()
        self.serial_listen = serial_listen
        self.serial_ports = serial_ports
        self._port_lock = threading.Lock()

    # Connection ----------------------------------------------------------------------

    @property
    def conn(self) -> libvirt.virConnect:
        with self._conn_lock:
            if self._conn is None or not self._conn.isAlive():
                try:
                    self._conn = libvirt.open(self.uri)
                except libvirt.libvirtError as exc:
                    raise GuestError(f"cannot connect to libvirt at {self.uri}: {exc}") \
                        from None
            return self._conn

    def close(self) -> None:
        with self._conn_lock:
            if self._conn is not None:
                with suppress(libvirt.libvirtError):
                    self._conn.close()
                self._conn = None

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except libvirt.libvirtError as exc:
            raise GuestError(f"{what}: {exc.get_error_message()}") from None

    def _domain(self, server_id: str) -> libvirt.virDomain | None:
        try:
            return self.conn.lookupByName(NAME_PREFIX + server_id)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                return None
            raise GuestError(f"cannot look up guest {server_id}: {exc}") from None

    def _require(self, server_id: str) -> libvirt.virDomain:
        dom = self._domain(server_id)
        if dom is None:
            raise GuestError(f"guest {server_id} is not defined on this host")
        return dom

    # Host ----------------------------------------------------------------------------

    def host_resources(self) -> HostResources:
        memory_mb, disk_mb, cpus = self.reserved
        self.instances.mkdir(parents=True, exist_ok=True)
        fs = os.statvfs(self.instances)
        total_gb = (fs.f_blocks * fs.f_frsize - disk_mb * 2**20) >> 30
        free_gb = (fs.f_bavail * fs.f_frsize - disk_mb * 2**20) >> 30
        info = self.conn.getInfo()  # [arch, memory MiB, cpus, MHz, nodes, sockets, cores, threads]
        return HostResources(
            hypervisor_type="QEMU", hypervisor_version=self.conn.getVersion(),
            hypervisor_hostname=self.host, vcpus=max(1, info[2] - cpus),
            memory_mb=max(0, info[1] - memory_mb), local_gb=max(0, total_gb),
            free_disk_gb=max(0, free_gb), host_ip=None,
            cpu_info={"arch": info[0], "model": "qemu64" if self.domain_type == "qemu"
                      else "host", "vendor": "", "features": [],
                      "topology": {"sockets": info[5], "cores": info[6], "threads": info[7]},
                      "virt_type": self.domain_type})

    def guests(self) -> dict[str, PowerState]:
        """This driver's guests: named haneul-<id> and with their directory in this
        driver's instances directory. Another agent on the same libvirtd (a test, a
        benchmark) has its own directory, so its guests are never taken for orphans."""
        out: dict[str, PowerState] = {}
        with self._errors("cannot list guests"):
            for dom in self.conn.listAllDomains():
                name = dom.name()
                server_id = name[len(NAME_PREFIX):]
                if name.startswith(NAME_PREFIX) and self._dir(server_id).is_dir():
                    out[server_id] = self._power(dom)
        return out

    def _power(self, dom: libvirt.virDomain) -> PowerState:
        try:
            state = dom.state()[0]
            if state == libvirt.VIR_DOMAIN_SHUTOFF and dom.hasManagedSaveImage():
                return PowerState.SUSPENDED
        except libvirt.libvirtError:
            return PowerState.NOSTATE
        return _POWER.get(state, PowerState.NOSTATE)

    def power_state(self, server_id: str) -> PowerState | None:
        dom = self._domain(server_id)
        return None if dom is None else self._power(dom)

    # Guests --------------------------------------------------------------------------

    def _dir(self, server_id: str) -> Path:
        return self.instances / server_id

    def console_path(self, server_id: str) -> Path | None:
        return self._dir(server_id) / "console.log"

    def console_endpoint(self, server_id: str) -> tuple[str, int] | None:
        if self.serial_listen is None:
            return None
        try:
            return self.serial_listen, int((self._dir(server_id) / "console.port").read_text())
        except (OSError, ValueError):
            return None

    def _serial_port(self, server_id: str) -> int | None:
        """The guest's console port: kept in its directory, so redefining the guest
        keeps it; a new one is free on this host and unused by other guests."""
        if self.serial_listen is None:
            return None
        found = self.console_endpoint(server_id)
        if found is not None:
            return found[1]
        with self._port_lock:
            taken = set()
            for path in self.instances.glob("*/console.port"):
                with suppress(OSError, ValueError):
                    taken.add(int(path.read_text()))
            low, high = self.serial_ports
            for port in range(low, high + 1):
                if port not in taken and _bindable(self.serial_listen, port):
                    (self._dir(server_id) / "console.port").write_text(f"{port}\n")
                    return port
        raise GuestError(f"no free serial console port in {low}-{high}")

    def _prepare(self, spec: GuestSpec, fetch: ImageFetcher) -> DomainSpec:
        """The guest's files (disk overlay, kernel, config drive) and its domain spec."""
        directory = self._dir(spec.server_id)
        directory.mkdir(parents=True, exist_ok=True)
        base = self.cache.ensure(spec.image_id, fetch)
        base_format = _format(spec.image_format)
        disk = directory / "disk"
        images.create_overlay(base, base_format, disk, spec.root_gb)
        disks = [Disk(str(disk), "vda")]
        boot = BootImage(spec.image_id, spec.image_format, spec.kernel_id, spec.ramdisk_id,
                         spec.cmdline)
        if spec.rescue is not None:
            # The rescue image boots; the server's own disk is the second one.
            boot = spec.rescue
            rescue_base = self.cache.ensure(boot.image_id, fetch)
            rescue_disk = directory / "disk.rescue"
            images.create_overlay(rescue_base, _format(boot.image_format), rescue_disk, 0)
            disks = [Disk(str(rescue_disk), "vda"), Disk(str(disk), "vdb")]
        else:
            (directory / "disk.rescue").unlink(missing_ok=True)
        if spec.config_drive:
            iso = directory / "disk.config"
            if not iso.exists():
                from runtime.compute.guest_image.config_drive import build_config_drive

                partial = directory / "disk.config.part"
                build_config_drive(partial, spec.metadata, spec.user_data, spec.network_data)
                partial.rename(iso)
            disks.append(Disk(str(iso), "hdd", bus="ide", format="raw", device="cdrom",
                              readonly=True))
        kernel = str(self.cache.ensure(boot.kernel_id, fetch)) if boot.kernel_id else None
        initrd = str(self.cache.ensure(boot.ramdisk_id, fetch)) \
            if boot.kernel_id and boot.ramdisk_id else None
        return DomainSpec(
            server_id=spec.server_id, display_name=spec.name, domain_type=self.domain_type,
            vcpus=spec.vcpus, memory_mb=spec.memory_mb, disks=tuple(disks),
            console_log=str(self.console_path(spec.server_id)), kernel=kernel, initrd=initrd,
            cmdline=boot.cmdline if kernel else None,
            project_id=str(spec.metadata.get("project_id", "")),
            serial_host=self.serial_listen or "127.0.0.1",
            serial_port=self._serial_port(spec.server_id),
            interfaces=tuple(_interface(v) for v in spec.vifs))

    def spawn(self, spec: GuestSpec, fetch: ImageFetcher, start: bool = True,
              paused: bool = False) -> None:
        domain = self._prepare(spec, fetch)
        for vif in spec.vifs:
            # libvirt refuses to start a guest whose bridge does not exist yet.
            bridges.ensure_bridge(vif.bridge, vif.mtu)
        with self._errors(f"cannot define guest {spec.server_id}"):
            dom = self.conn.defineXML(domain_xml(domain))
        if start and not dom.isActive():
            with self._errors(f"guest {spec.server_id} failed to start"):
                # Paused, the taps exist (for the network agent to wire) before the
                # guest's first packet.
                dom.createWithFlags(libvirt.VIR_DOMAIN_START_PAUSED if paused else 0)

    def power_on(self, server_id: str) -> None:
        dom = self._require(server_id)
        with self._errors(f"cannot start guest {server_id}"):
            state = dom.state()[0]
            if state == libvirt.VIR_DOMAIN_PAUSED:
                dom.resume()
            elif not dom.isActive():
                dom.create()  # also restores a managed save (suspend)

    def _wait_shutoff(self, dom: libvirt.virDomain, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not dom.isActive():
                return True
            time.sleep(0.1)
        return not dom.isActive()

    def power_off(self, server_id: str, timeout: float) -> None:
        dom = self._require(server_id)
        with self._errors(f"cannot stop guest {server_id}"):
            if not dom.isActive():
                if dom.hasManagedSaveImage():
                    dom.managedSaveRemove()
                return
            if dom.state()[0] != libvirt.VIR_DOMAIN_PAUSED and timeout > 0:
                with suppress(libvirt.libvirtError):
                    dom.shutdown()  # an ACPI power button press
                if self._wait_shutoff(dom, timeout):
                    return
            dom.destroy()

    def reboot(self, spec: GuestSpec, fetch: ImageFetcher, hard: bool,
               timeout: float) -> None:
        dom = self._require(spec.server_id)
        with self._errors(f"cannot reboot guest {spec.server_id}"):
            if not hard and dom.isActive():
                dom.shutdown()
                if not self._wait_shutoff(dom, timeout):
                    dom.destroy()
            elif dom.isActive():
                dom.destroy()
            if dom.hasManagedSaveImage():
                dom.managedSaveRemove()
        # Either way the definition is rendered afresh (and missing files remade), as
        # Nova's hard reboot does: a reboot is how users repair a guest.
        self.spawn(spec, fetch, start=True)

    def _halt(self, server_id: str, timeout: float) -> None:
        if self._domain(server_id) is not None:
            self.power_off(server_id, timeout)

    def rescue(self, spec: GuestSpec, fetch: ImageFetcher, timeout: float) -> None:
        self._halt(spec.server_id, timeout)
        self.spawn(spec, fetch, start=True)

    def unrescue(self, spec: GuestSpec, fetch: ImageFetcher) -> None:
        self._halt(spec.server_id, 0)
        self.spawn(spec, fetch, start=True)

    def resize(self, spec: GuestSpec, fetch: ImageFetcher, start: bool, timeout: float) -> None:
        self._halt(spec.server_id, timeout)
        disk, kept = self._dir(spec.server_id) / "disk", self._dir(spec.server_id) / "disk.orig"
        if disk.exists() and not kept.exists():
            shutil.copy2(disk, kept)  # a qcow2 overlay: small to copy
        if disk.exists() and spec.root_gb * images.GiB > images.virtual_size(disk):
            images.qemu_img("resize", "-q", str(disk), str(spec.root_gb * images.GiB))
        self.spawn(spec, fetch, start=start)

    def revert_resize(self, spec: GuestSpec, fetch: ImageFetcher, start: bool,
                      timeout: float) -> None:
        self._halt(spec.server_id, timeout)
        kept = self._dir(spec.server_id) / "disk.orig"
        if kept.exists():
            os.replace(kept, self._dir(spec.server_id) / "disk")
        self.spawn(spec, fetch, start=start)

    def confirm_resize(self, server_id: str) -> None:
        (self._dir(server_id) / "disk.orig").unlink(missing_ok=True)

    def rebuild(self, spec: GuestSpec, fetch: ImageFetcher, start: bool, timeout: float) -> None:
        self._halt(spec.server_id, timeout)
        for name in ("disk", "disk.config", "disk.rescue", "disk.orig"):
            (self._dir(spec.server_id) / name).unlink(missing_ok=True)
        self.spawn(spec, fetch, start=start)

    def snapshot(self, server_id: str, dest: Path) -> str:
        """A flattened qcow2 of the root disk. A running guest is paused meanwhile, so
        the copy is consistent as far as the disk goes (like a power cut)."""
        dom = self._require(server_id)
        running = dom.isActive() and dom.state()[0] != libvirt.VIR_DOMAIN_PAUSED
        with self._errors(f"cannot snapshot guest {server_id}"):
            if running:
                dom.suspend()
            try:
                images.qemu_img("convert", "-U", "-q", "-O", "qcow2",
                                str(self._dir(server_id) / "disk"), str(dest))
            finally:
                if running:
                    dom.resume()
        return "qcow2"

    def pause(self, server_id: str) -> None:
        with self._errors(f"cannot pause guest {server_id}"):
            self._require(server_id).suspend()

    def unpause(self, server_id: str) -> None:
        with self._errors(f"cannot unpause guest {server_id}"):
            self._require(server_id).resume()

    def suspend(self, server_id: str) -> None:
        with self._errors(f"cannot suspend guest {server_id}"):
            dom = self._require(server_id)
            if dom.isActive():
                dom.managedSave()

    def resume(self, server_id: str) -> None:
        self.power_on(server_id)

    # Interfaces ----------------------------------------------------------------------

    def _live_flags(self, dom: libvirt.virDomain) -> int:
        flags = libvirt.VIR_DOMAIN_AFFECT_CONFIG
        if dom.isActive():
            flags |= libvirt.VIR_DOMAIN_AFFECT_LIVE
        return int(flags)

    def _interface_xml(self, dom: libvirt.virDomain) -> dict[str, str]:
        """The guest's ``<interface>`` elements by tap name (from its definition)."""
        import xml.etree.ElementTree as ET

        root = ET.fromstring(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
        out: dict[str, str] = {}
        for iface in root.iterfind("./devices/interface"):
            target = iface.find("target")
            if target is not None and target.get("dev"):
                out[str(target.get("dev"))] = ET.tostring(iface, encoding="unicode")
        return out

    def interfaces(self, server_id: str) -> set[str] | None:
        dom = self._domain(server_id)
        if dom is None:
            return None
        with self._errors(f"cannot read the interfaces of guest {server_id}"):
            return set(self._interface_xml(dom))

    def attach_interface(self, server_id: str, vif: Vif) -> None:
        dom = self._require(server_id)
        bridges.ensure_bridge(vif.bridge, vif.mtu)
        with self._errors(f"cannot attach port {vif.port_id} to guest {server_id}"):
            dom.attachDeviceFlags(interface_xml(_interface(vif), ""), self._live_flags(dom))

    def detach_interface(self, server_id: str, tap: str) -> None:
        dom = self._require(server_id)
        with self._errors(f"cannot detach {tap} from guest {server_id}"):
            found = self._interface_xml(dom).get(tap)
            if found is not None:
                dom.detachDeviceFlags(found, self._live_flags(dom))

    def destroy(self, server_id: str) -> None:
        dom = self._domain(server_id)
        if dom is not None:
            with self._errors(f"cannot destroy guest {server_id}"):
                if dom.isActive():
                    dom.destroy()
                flags = (libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
                         | libvirt.VIR_DOMAIN_UNDEFINE_NVRAM)
                try:
                    dom.undefineFlags(flags)
                except libvirt.libvirtError as exc:
                    if exc.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN:
                        raise
        shutil.rmtree(self._dir(server_id), ignore_errors=True)
