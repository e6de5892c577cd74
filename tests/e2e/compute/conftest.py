"""A cloud with a real compute agent on libvirt: libvirtd and virtlogd (started here when
none answers), `haneul serve` with compute, `haneul agent compute`, and the haneul-test
image uploaded as three images (kernel, ramdisk, and the disk that names them)."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.compute import daemons
from tests.support import BIN, Cloud, running_cloud, wait_for

HOST = f"e2e-compute-{os.getpid()}"


@dataclass
class LiveCloud:
    cloud: Cloud
    conn: Any
    image_id: str
    agent: subprocess.Popen[bytes]
    instances: Path

    def wait_status(self, server_id: str, status: str, timeout: float = 120) -> Any:
        seen: dict[str, Any] = {}

        def reached() -> bool:
            seen["s"] = self.conn.compute.get_server(server_id)
            if seen["s"].status == "ERROR" and status != "ERROR":
                raise AssertionError(f"server {server_id} failed: {seen['s'].fault}")
            return bool(seen["s"].status == status)

        wait_for(reached, timeout, f"server {server_id} to be {status}")
        return seen["s"]

    def console(self, server_id: str) -> str:
        return str(self.conn.compute.get_server_console_output(server_id)["output"])


def upload_test_image(conn: Any, image: Any) -> str:
    """haneul-test as Nova expects an AMI-style image: the disk names its kernel and
    ramdisk images, and the kernel command line that mounts the disk's root."""
    kernel = conn.image.create_image(name="haneul-test-kernel", filename=str(image.vmlinux),
                                     disk_format="aki", container_format="aki", wait=True)
    ramdisk = conn.image.create_image(name="haneul-test-ramdisk", filename=str(image.initrd),
                                      disk_format="ari", container_format="ari", wait=True)
    disk = conn.image.create_image(
        name="haneul-test", filename=str(image.qcow2), disk_format="qcow2",
        container_format="bare", wait=True, kernel_id=kernel.id, ramdisk_id=ramdisk.id,
        os_command_line=image.disk_cmdline)
    return str(disk.id)


@pytest.fixture(scope="session")
def live_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveCloud]:
    missing = daemons.missing_tools()
    if missing:
        pytest.skip(f"libvirt/QEMU not installed ({', '.join(missing)}): apt-get install "
                    "libvirt-daemon-system qemu-system-x86 qemu-utils; pip install "
                    "libvirt-python (scripts/install does both)")
    from runtime.compute.guest_image.build import BuildError, build

    try:
        image = build()
    except BuildError as exc:
        pytest.skip(f"the haneul-test image cannot be built here: {exc}")
    started = daemons.start()
    state = tmp_path_factory.mktemp("live-compute")
    instances = state / "instances"
    extra = f'[compute]\nhost = "{HOST}"\ninstances_dir = "{instances}"\n'
    try:
        with running_cloud(state, extra, services=("identity", "image", "compute")) as cloud:
            log = (state / "agent.log").open("ab")
            agent = subprocess.Popen([str(BIN / "haneul"), "agent", "compute", "--config",
                                      str(cloud.config)], stdout=log, stderr=subprocess.STDOUT)
            try:
                conn = cloud.sdk()
                wait_for(lambda: any(s.host == HOST for s in conn.compute.services()), 60,
                         "the compute agent to register")
                live = LiveCloud(cloud, conn, upload_test_image(conn, image), agent, instances)
                yield live
                for server in conn.compute.servers():
                    conn.compute.delete_server(server)
                wait_for(lambda: not list(conn.compute.servers()), 120, "servers to go")
            finally:
                agent.send_signal(signal.SIGTERM)
                try:
                    agent.wait(30)
                except subprocess.TimeoutExpired:
                    agent.kill()
                    agent.wait()
                log.close()
    finally:
        started.stop()
