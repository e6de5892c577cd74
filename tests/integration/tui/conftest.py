"""A real `haneul serve` on loopback (tests/support.py) serving identity, image and compute
(no network service: the TUI must say so), with a compute agent on the fake driver in this
process so servers become ACTIVE, and the TUI driven by Textual's pilot."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import Cloud, running_cloud, wait_for
from tests.unit.tui.support import until

__all__ = ["TuiCloud", "until"]

SERVICES = ("identity", "image", "compute")
HOST = "tui-fake-compute"


@dataclass
class TuiCloud:
    cloud: Cloud
    conn: Any  # openstacksdk Connection (admin)
    image_id: str
    agent: Any
    driver: Any  # runtime.compute.drivers.fake.FakeDriver: tests play the hypervisor


@pytest.fixture(scope="session")
def tui_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TuiCloud]:
    from runtime.compute.agent.controller import ControllerClient
    from runtime.compute.agent.loop import Agent
    from runtime.compute.drivers.fake import FakeDriver
    from runtime.compute.service.core import load_or_create_secret

    state = tmp_path_factory.mktemp("tui-cloud")
    with running_cloud(state, "[compute]\nservice_down_time = 30\n", services=SERVICES) as cloud:
        driver = FakeDriver(state / "instances", host=HOST)
        controller = ControllerClient(cloud.url, load_or_create_secret(cloud.state), HOST)
        agent = Agent(driver, controller, poll_timeout=2.0, sync_interval=0.2,
                      shutdown_timeout=5.0)
        agent.start()
        try:
            conn = cloud.sdk()
            wait_for(lambda: any(True for _ in conn.compute.services()), 30,
                     "the compute host to register")
            disk = Path(state / "tiny.qcow2")
            subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "64M"],
                           check=True)
            image = conn.image.create_image(name="tiny", filename=str(disk),
                                            disk_format="qcow2", container_format="bare",
                                            visibility="public", wait=True)
            yield TuiCloud(cloud, conn, image.id, agent, driver)
        finally:
            agent.stop()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # Textual runs on asyncio
