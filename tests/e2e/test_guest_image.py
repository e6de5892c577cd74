"""The haneul-test guest image, built here and booted under QEMU (TCG).

Both ways the compute service will boot it: the whole qcow2 disk through SeaBIOS and
extlinux, and the extracted vmlinux + initrd by direct kernel boot. Each boot gets a
config drive with an instance id, a hostname, an SSH key and a user-data script; the
console must show the banner with that id and the script's output; an ACPI power-down
through the QEMU monitor must stop the guest, and QEMU with it.

The image is built once into ~/.cache/haneul/images and reused while it is current.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from runtime.compute.guest_image import banner, config_drive
from runtime.compute.guest_image.build import GuestImage, build
from tests.support import free_port, wait_for

QEMU = shutil.which("qemu-system-x86_64")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(QEMU is None, reason="qemu-system-x86_64 is not installed "
                       "(apt-get install qemu-system-x86; scripts/install does it)"),
]
# Generous: TCG on a shared 2-core machine. Quiet, it takes 5-10 s.
BANNER_TIMEOUT = 120.0
POWEROFF_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def image() -> GuestImage:
    return build()


@dataclass
class Instance:
    """What the config drive tells the guest, and what the guest must show for it."""

    iso: Path
    uuid: str
    hostname: str
    marker: str
    private_key: Path


@pytest.fixture
def instance(tmp_path: Path) -> Instance:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private_key = tmp_path / "id_ed25519"
    private_key.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.OpenSSH,
                                              serialization.NoEncryption()))
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                           serialization.PublicFormat.OpenSSH).decode()
    server_id = str(uuid.uuid4())
    # The guest computes the marker, so seeing it proves the script ran (the console
    # never echoes user data itself).
    user_data = '#!/bin/sh\necho "user-data-marker-$(hostname)-$((6 * 7))"\n'
    iso = config_drive.build_config_drive(
        tmp_path / "config.iso",
        {"uuid": server_id, "hostname": "probe.novalocal", "name": "probe",
         "public_keys": {"e2e": f"{public} e2e@haneul"}},
        user_data)
    return Instance(iso, server_id, "probe", "user-data-marker-probe-42", private_key)


@dataclass
class Guest:
    """One QEMU process, its serial console log and its (HMP) monitor socket."""

    args: list[str]
    workdir: Path
    started: float = 0.0
    process: subprocess.Popen[bytes] | None = None
    banner_at: float | None = None
    marks: dict[str, float] = field(default_factory=dict)

    @property
    def console(self) -> Path:
        return self.workdir / "console.log"

    @property
    def monitor(self) -> Path:
        return self.workdir / "monitor.sock"

    def start(self) -> None:
        assert QEMU is not None
        argv = [QEMU, "-accel", "tcg", "-m", "256", "-display", "none", "-no-reboot",
                "-serial", f"file:{self.console}",
                "-monitor", f"unix:{self.monitor},server=on,wait=off", *self.args]
        self.started = time.monotonic()
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def text(self) -> str:
        try:
            return self.console.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def saw(self, needle: str) -> bool:
        assert self.process is not None
        if needle in self.text():
            self.marks.setdefault(needle, time.monotonic() - self.started)
            return True
        if self.process.poll() is not None:
            raise AssertionError(f"QEMU exited ({self.process.returncode}) before "
                                 f"{needle!r}:\n{self.text()[-3000:]}")
        return False

    def wait_console(self, needle: str, timeout: float = BANNER_TIMEOUT) -> float:
        """Seconds from QEMU's start until ``needle`` appeared on the console."""
        try:
            wait_for(lambda: self.saw(needle), timeout, f"{needle!r} on the console")
        except TimeoutError:
            raise AssertionError(
                f"no {needle!r} after {timeout}s:\n{self.text()[-3000:]}") from None
        return self.marks[needle]

    def system_powerdown(self) -> None:
        """The ACPI power button, through the human monitor (what `virsh shutdown` does)."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(10)
            sock.connect(str(self.monitor))
            self._read_prompt(sock)
            sock.sendall(b"system_powerdown\n")
            self._read_prompt(sock)

    @staticmethod
    def _read_prompt(sock: socket.socket) -> None:
        seen = b""
        while not seen.rstrip().endswith(b"(qemu)"):
            chunk = sock.recv(4096)
            if not chunk:
                raise AssertionError(f"monitor closed; it said {seen!r}")
            seen += chunk

    def wait_exit(self, timeout: float = POWEROFF_TIMEOUT) -> int:
        assert self.process is not None
        process = self.process
        wait_for(lambda: process.poll() is not None, timeout, "QEMU to exit")
        return process.returncode

    def stop(self) -> None:
        """Kill our QEMU if a test left it running (by its own PID, never by name)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def guests(tmp_path: Path) -> Iterator[list[Guest]]:
    started: list[Guest] = []
    yield started
    for guest in started:
        guest.stop()


def boot_and_check(guest: Guest, instance: Instance) -> dict[str, float]:
    guest.start()
    to_banner = guest.wait_console(banner.PREFIX + " instance-id=")
    found = banner.find_banner(guest.text())
    assert found is not None, guest.text()[-3000:]
    assert found.instance_id == instance.uuid
    assert found.hostname == instance.hostname
    assert "10.0.2.15" in found.addresses  # QEMU user networking's DHCP lease
    guest.wait_console(instance.marker)
    assert "metadata from config-drive" in guest.text()
    uptime = next(line.split()[-1] for line in guest.text().splitlines()
                  if line.startswith("haneul-test: up "))
    return {"banner_s": to_banner, "guest_uptime_s": float(uptime.rstrip("s"))}


def power_off(guest: Guest) -> float:
    asked = time.monotonic()
    guest.system_powerdown()
    code = guest.wait_exit()
    assert code == 0
    assert "ACPI power button pressed" in guest.text()
    assert "reboot: Power down" in guest.text()
    return time.monotonic() - asked


def ssh_run(port: int, key: Path, command: str) -> str:
    import paramiko

    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # a fresh test guest
    try:
        client.connect("127.0.0.1", port=port, username="root",
                       pkey=paramiko.Ed25519Key.from_private_key_file(str(key)),
                       timeout=30, banner_timeout=60, auth_timeout=60,
                       allow_agent=False, look_for_keys=False)
        _, stdout, _ = client.exec_command(command, timeout=60)
        return stdout.read().decode()
    finally:
        client.close()


def test_direct_kernel_boot(image: GuestImage, instance: Instance, guests: list[Guest],
                            tmp_path: Path, record_property: Callable[[str, object], None]) -> None:
    """vmlinux + initrd, no disk: virtio-net, the config drive on a virtio disk, SSH."""
    ssh_port = free_port()
    guest = Guest([
        "-kernel", str(image.vmlinux), "-initrd", str(image.initrd),
        "-append", image.cmdline,
        "-drive", f"file={instance.iso},if=virtio,format=raw,readonly=on",
        "-nic", f"user,restrict=on,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:{ssh_port}-:22",
    ], tmp_path)
    guests.append(guest)
    times = boot_and_check(guest, instance)
    assert ssh_run(ssh_port, instance.private_key, "hostname; id -u").split() == ["probe", "0"]
    times["poweroff_s"] = power_off(guest)
    record_property("direct_kernel_boot", times)
    print(f"direct kernel boot: {times}")


def test_bios_disk_boot(image: GuestImage, instance: Instance, guests: list[Guest],
                        tmp_path: Path, record_property: Callable[[str, object], None]) -> None:
    """The qcow2 (as an overlay, as Nova runs it): SeaBIOS, extlinux, the ext4 root; the
    config drive on an IDE CD-ROM, as libvirt attaches it by default."""
    overlay = tmp_path / "disk.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2",
                    "-b", str(image.qcow2), str(overlay)], check=True)
    guest = Guest([
        "-drive", f"file={overlay},if=virtio,format=qcow2",
        "-drive", f"file={instance.iso},media=cdrom,format=raw,readonly=on",
        "-nic", "user,restrict=on,model=virtio-net-pci",
    ], tmp_path)
    guests.append(guest)
    times = boot_and_check(guest, instance)
    assert "SYSLINUX" in guest.text()  # booted through extlinux, not some other path
    times["poweroff_s"] = power_off(guest)
    record_property("bios_disk_boot", times)
    print(f"BIOS disk boot: {times}")


def test_metadata_service_and_every_nic(image: GuestImage, guests: list[Guest],
                                        tmp_path: Path) -> None:
    """No config drive: the OpenStack metadata service at 169.254.169.254 (served by
    tests/e2e/metadata_server.py through QEMU's guestfwd), and DHCP on both NICs
    (virtio-net and e1000)."""
    server_id = str(uuid.uuid4())
    latest = tmp_path / "metadata/openstack/latest"
    latest.mkdir(parents=True)
    (latest / "meta_data.json").write_text(json.dumps(
        {"uuid": server_id, "hostname": "viamd", "public_keys": {"k": "ssh-ed25519 AAAA k"}}))
    (latest / "user_data").write_text('#!/bin/sh\necho "md-marker-$(hostname)"\n')
    server = Path(__file__).with_name("metadata_server.py")
    # guestfwd only reaches addresses inside the user network: make it the link-local one.
    metadata_net = (f"user,id=md,restrict=on,net=169.254.0.0/16,guestfwd=tcp:169.254.169.254:80"
                    f"-cmd:{sys.executable} {server} {tmp_path / 'metadata'}")
    guest = Guest([
        "-kernel", str(image.vmlinux), "-initrd", str(image.initrd), "-append", image.cmdline,
        "-netdev", metadata_net, "-device", "virtio-net-pci,netdev=md",
        "-netdev", "user,id=second,restrict=on,net=10.0.3.0/24",
        "-device", "e1000,netdev=second",
    ], tmp_path)
    guests.append(guest)
    guest.start()
    guest.wait_console(banner.PREFIX + " instance-id=")
    found = banner.find_banner(guest.text())
    assert found is not None
    assert (found.instance_id, found.hostname) == (server_id, "viamd")
    assert len(found.addresses) == 2 and "10.0.3.15" in found.addresses
    assert any(a.startswith("169.254.") for a in found.addresses)
    assert "metadata from metadata-service" in guest.text()
    guest.wait_console("md-marker-viamd")
    power_off(guest)
