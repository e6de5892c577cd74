"""The libvirt domain XML of a guest, rendered by one pure function (unit-tested).

Choices, and why:

- ``type='qemu'`` (TCG) unless the host can really run KVM guests (see
  :mod:`.accel`); ``type='kvm'`` domains start but never boot on hosts without VMX/SVM.
- Direct kernel boot (``<kernel>``/``<initrd>``/``<cmdline>``) when the image names a
  kernel: QEMU boots an uncompressed vmlinux through its PVH entry in about 2 s under TCG,
  against 5-7 s through SeaBIOS and a boot loader.
- ``<features><acpi/>``: graceful shutdown (os-stop, soft reboot) is an ACPI power
  button press.
- The serial console goes to a file, which os-getConsoleOutput reads; with a port it is
  also a TCP listener for the interactive serial console (remote-consoles), the file
  then written by virtlogd. No graphics element at all (``<graphics type='none'/>`` is
  refused).
- No memory balloon or USB controller: nothing uses them and they cost boot time.
- Each port is ``<interface type='bridge'>``: a tap named ``tap<port id[:11]>`` on the
  network's bridge ``brq<network id[:11]>``, virtio, with the network's MTU. The names
  are the network agent's, which plugs and filters the same devices.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

NAMESPACE = "https://haneul.dev/xmlns/compute/1"
NAME_PREFIX = "haneul-"


def domain_name(server_id: str) -> str:
    return NAME_PREFIX + server_id


@dataclass(frozen=True)
class Disk:
    path: str
    target: str  # vda, hdd...
    bus: str = "virtio"
    format: str = "qcow2"
    device: str = "disk"  # or cdrom
    readonly: bool = False


@dataclass(frozen=True)
class Interface:
    mac: str
    bridge: str
    tap: str
    mtu: int | None = None
    model: str = "virtio"


@dataclass(frozen=True)
class DomainSpec:
    server_id: str
    display_name: str
    domain_type: str  # qemu or kvm
    vcpus: int
    memory_mb: int
    disks: tuple[Disk, ...]
    console_log: str
    kernel: str | None = None
    initrd: str | None = None
    cmdline: str | None = None
    arch: str = "x86_64"
    project_id: str = ""
    flavor_name: str = ""
    # An interactive serial console on this TCP address (the log file still gets every
    # byte, through virtlogd); None: the console only goes to the log file.
    serial_host: str = "127.0.0.1"
    serial_port: int | None = None
    interfaces: tuple[Interface, ...] = ()


def _disk(d: Disk) -> str:
    readonly = "\n      <readonly/>" if d.readonly else ""
    return (f"    <disk type='file' device={quoteattr(d.device)}>\n"
            f"      <driver name='qemu' type={quoteattr(d.format)}/>\n"
            f"      <source file={quoteattr(d.path)}/>\n"
            f"      <target dev={quoteattr(d.target)} bus={quoteattr(d.bus)}/>{readonly}\n"
            "    </disk>\n")


def interface_xml(i: Interface, indent: str = "    ") -> str:
    """One ``<interface>`` element (also what hot-plugging attaches and detaches)."""
    mtu = f"{indent}  <mtu size='{int(i.mtu)}'/>\n" if i.mtu else ""
    return (f"{indent}<interface type='bridge'>\n"
            f"{indent}  <mac address={quoteattr(i.mac)}/>\n"
            f"{indent}  <source bridge={quoteattr(i.bridge)}/>\n"
            f"{indent}  <target dev={quoteattr(i.tap)}/>\n"
            f"{indent}  <model type={quoteattr(i.model)}/>\n"
            f"{mtu}{indent}</interface>\n")


def _os(spec: DomainSpec) -> str:
    lines = [f"    <type arch={quoteattr(spec.arch)}>hvm</type>"]
    if spec.kernel:
        lines.append(f"    <kernel>{escape(spec.kernel)}</kernel>")
        if spec.initrd:
            lines.append(f"    <initrd>{escape(spec.initrd)}</initrd>")
        if spec.cmdline:
            lines.append(f"    <cmdline>{escape(spec.cmdline)}</cmdline>")
    else:
        lines.append("    <boot dev='hd'/>")
    return "  <os>\n" + "\n".join(lines) + "\n  </os>\n"


def _cpu(spec: DomainSpec) -> str:
    # KVM guests get the host's CPU; TCG emulates a generic one (the default model)
    # because emulating every host feature is slow and some are not emulated at all.
    if spec.domain_type == "kvm":
        return "  <cpu mode='host-passthrough'/>\n"
    return ""


def _serial(spec: DomainSpec) -> str:
    log = quoteattr(spec.console_log)
    if spec.serial_port is None:
        source = f"      <source path={log} append='on'/>\n"
        kind = "file"
    else:
        source = (f"      <source mode='bind' host={quoteattr(spec.serial_host)} "
                  f"service='{int(spec.serial_port)}' tls='no'/>\n"
                  "      <protocol type='raw'/>\n"
                  f"      <log file={log} append='on'/>\n")
        kind = "tcp"
    return (f"    <serial type='{kind}'>\n{source}      <target port='0'/>\n    </serial>\n"
            f"    <console type='{kind}'>\n{source}"
            "      <target type='serial' port='0'/>\n    </console>\n")


def domain_xml(spec: DomainSpec) -> str:
    """The complete domain definition for ``spec``."""
    disks = "".join(_disk(d) for d in spec.disks)
    return (
        f"<domain type={quoteattr(spec.domain_type)}>\n"
        f"  <name>{escape(domain_name(spec.server_id))}</name>\n"
        f"  <uuid>{escape(spec.server_id)}</uuid>\n"
        f"  <title>{escape(spec.display_name)}</title>\n"
        "  <metadata>\n"
        f"    <haneul:instance xmlns:haneul={quoteattr(NAMESPACE)}>\n"
        f"      <haneul:name>{escape(spec.display_name)}</haneul:name>\n"
        f"      <haneul:project>{escape(spec.project_id)}</haneul:project>\n"
        f"      <haneul:flavor>{escape(spec.flavor_name)}</haneul:flavor>\n"
        "    </haneul:instance>\n"
        "  </metadata>\n"
        f"  <memory unit='MiB'>{int(spec.memory_mb)}</memory>\n"
        f"  <vcpu>{int(spec.vcpus)}</vcpu>\n"
        + _os(spec)
        + "  <features>\n    <acpi/>\n    <apic/>\n  </features>\n"
        + _cpu(spec)
        + "  <clock offset='utc'/>\n"
        "  <on_poweroff>destroy</on_poweroff>\n"
        "  <on_reboot>restart</on_reboot>\n"
        "  <on_crash>destroy</on_crash>\n"
        "  <devices>\n"
        + disks
        + "".join(interface_xml(i) for i in spec.interfaces)
        + _serial(spec)
        + "    <controller type='usb' model='none'/>\n"
        "    <memballoon model='none'/>\n"
        "  </devices>\n"
        "</domain>\n"
    )
