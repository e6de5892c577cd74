"""The libvirt domain XML renderer: what a guest gets, parsed back as libvirt would."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from runtime.compute.drivers.libvirt.accel import cpu_flags, kvm_usable
from runtime.compute.drivers.libvirt.xml import Disk, DomainSpec, domain_xml

SERVER = "0b3e1f52-8a8e-4c70-9d0f-1b0d0c1d2e3f"


def spec(**kw: object) -> DomainSpec:
    base: dict[str, object] = dict(
        server_id=SERVER, display_name="web <1> & co", domain_type="qemu", vcpus=2,
        memory_mb=512, disks=(Disk("/i/x/disk", "vda"),), console_log="/i/x/console.log")
    base.update(kw)
    return DomainSpec(**base)  # type: ignore[arg-type]


def test_tcg_guest_with_disk_boot() -> None:
    dom = ET.fromstring(domain_xml(spec()))
    assert dom.get("type") == "qemu"
    assert dom.findtext("name") == f"haneul-{SERVER}"
    assert dom.findtext("uuid") == SERVER
    assert dom.findtext("title") == "web <1> & co"  # escaped, and read back intact
    assert dom.find("memory").text == "512" and dom.find("memory").get("unit") == "MiB"
    assert dom.findtext("vcpu") == "2"
    assert dom.find("os/boot").get("dev") == "hd"
    assert dom.find("os/kernel") is None
    assert dom.find("cpu") is None  # TCG: QEMU's default model


def test_acpi_serial_console_to_file_and_no_graphics() -> None:
    dom = ET.fromstring(domain_xml(spec()))
    assert dom.find("features/acpi") is not None
    serial = dom.find("devices/serial")
    assert serial.get("type") == "file"
    assert serial.find("source").get("path") == "/i/x/console.log"
    assert dom.find("devices/graphics") is None
    assert dom.find("devices/video") is None


def test_direct_kernel_boot() -> None:
    dom = ET.fromstring(domain_xml(spec(kernel="/b/k", initrd="/b/r",
                                        cmdline="root=LABEL=r console=ttyS0")))
    assert dom.findtext("os/kernel") == "/b/k"
    assert dom.findtext("os/initrd") == "/b/r"
    assert dom.findtext("os/cmdline") == "root=LABEL=r console=ttyS0"
    assert dom.find("os/boot") is None


def test_disks_and_config_drive() -> None:
    disks = (Disk("/i/x/disk", "vda"),
             Disk("/i/x/disk.config", "hdd", bus="ide", format="raw", device="cdrom",
                  readonly=True))
    found = ET.fromstring(domain_xml(spec(disks=disks))).findall("devices/disk")
    assert [d.get("device") for d in found] == ["disk", "cdrom"]
    assert found[0].find("driver").get("type") == "qcow2"
    assert found[0].find("target").attrib == {"dev": "vda", "bus": "virtio"}
    assert found[1].find("readonly") is not None
    assert found[1].find("source").get("file") == "/i/x/disk.config"


def test_kvm_guest_gets_the_host_cpu() -> None:
    dom = ET.fromstring(domain_xml(spec(domain_type="kvm")))
    assert dom.get("type") == "kvm"
    assert dom.find("cpu").get("mode") == "host-passthrough"


def test_kvm_needs_vmx_or_svm_and_an_openable_dev_kvm() -> None:
    vmx = "processor: 0\nflags\t\t: fpu vme vmx sse\n"
    plain = "processor: 0\nflags\t\t: fpu vme hypervisor sse\n"
    assert cpu_flags(vmx) >= {"vmx", "fpu"}
    assert kvm_usable(vmx, True)
    assert not kvm_usable(vmx, False)
    assert not kvm_usable(plain, True)  # /dev/kvm of a software hypervisor: use TCG


def test_interactive_serial_console_keeps_the_log_file() -> None:
    dom = ET.fromstring(domain_xml(spec(serial_port=10042)))
    serial = dom.find("devices/serial")
    assert serial.get("type") == "tcp"
    assert serial.find("source").attrib == {"mode": "bind", "host": "127.0.0.1",
                                            "service": "10042", "tls": "no"}
    assert serial.find("protocol").get("type") == "raw"
    assert serial.find("log").attrib == {"file": "/i/x/console.log", "append": "on"}


def test_each_port_is_a_virtio_tap_on_its_network_bridge() -> None:
    from runtime.compute.drivers.base import Vif
    from runtime.compute.drivers.libvirt.driver import _interface

    vifs = (Vif("4e0a1b2c-3d4e-5f60-7182-93a4b5c6d7e8", "9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0",
                "fa:16:3e:12:34:56", 1450),
            Vif("11111111-2222-3333-4444-555555555555", "9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0",
                "fa:16:3e:65:43:21", 1500))
    dom = ET.fromstring(domain_xml(spec(interfaces=tuple(_interface(v) for v in vifs))))
    found = dom.findall("devices/interface")
    assert [i.get("type") for i in found] == ["bridge", "bridge"]
    first = found[0]
    assert first.find("mac").get("address") == "fa:16:3e:12:34:56"
    assert first.find("source").get("bridge") == "brq9f8e7d6c-5b"
    assert first.find("target").get("dev") == "tap4e0a1b2c-3d"
    assert first.find("model").get("type") == "virtio"
    assert first.find("mtu").get("size") == "1450"
    assert found[1].find("target").get("dev") == "tap11111111-22"
    # Linux interface names are at most 15 characters.
    assert all(len(i.find("target").get("dev")) <= 15 for i in found)


def test_a_guest_without_ports_has_no_interface() -> None:
    assert ET.fromstring(domain_xml(spec())).find("devices/interface") is None


def test_the_hot_plugged_element_is_the_one_in_the_domain() -> None:
    from runtime.compute.drivers.libvirt.xml import Interface, interface_xml

    iface = Interface(mac="fa:16:3e:00:00:01", bridge="brqabc", tap="tapdef", mtu=None)
    alone = ET.fromstring(interface_xml(iface, ""))
    assert alone.tag == "interface" and alone.find("mtu") is None
    inside = ET.fromstring(domain_xml(spec(interfaces=(iface,)))).find("devices/interface")
    assert inside is not None
    assert [(c.tag, c.attrib) for c in alone] == [(c.tag, c.attrib) for c in inside]
