"""A cloud serving identity, image and compute on loopback, with a compute agent on the
fake driver running in this process (so tests can also play the hypervisor)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import Cloud, running_cloud, wait_for

SERVICES = ("identity", "image", "compute")
HOST = "fake-compute-1"


@dataclass
class ComputeCloud:
    cloud: Cloud
    driver: Any  # runtime.compute.drivers.fake.FakeDriver
    agent: Any  # runtime.compute.agent.loop.Agent
    image_id: str
    conn: Any  # openstacksdk Connection (admin)

    def wait_status(self, server_id: str, status: str, timeout: float = 30) -> Any:
        found: dict[str, Any] = {}

        def reached() -> bool:
            found["server"] = self.conn.compute.get_server(server_id)
            return bool(found["server"].status == status)

        wait_for(reached, timeout, f"server {server_id} to be {status}")
        return found["server"]

    def wait_gone(self, server_id: str, timeout: float = 30) -> None:
        wait_for(lambda: self.conn.compute.find_server(server_id) is None, timeout,
                 f"server {server_id} to be gone")


def start_agent(cloud: Cloud, driver: Any) -> Any:
    from runtime.compute.agent.controller import ControllerClient
    from runtime.compute.agent.loop import Agent
    from runtime.compute.service.core import load_or_create_secret

    controller = ControllerClient(cloud.url, load_or_create_secret(cloud.state), HOST)
    agent = Agent(driver, controller, poll_timeout=2.0, sync_interval=0.2,
                  shutdown_timeout=5.0)
    agent.start()
    return agent


def tiny_qcow2(path: Path) -> Path:
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(path), "64M"], check=True)
    return path


@contextmanager
def serving(state: Path, services: tuple[str, ...]) -> Iterator[ComputeCloud]:
    """A cloud of ``services`` with a fake compute agent and a tiny public image."""
    from runtime.compute.drivers.fake import FakeDriver

    extra = "[compute]\nservice_down_time = 30\n"
    with running_cloud(state, extra, services=services) as cloud:
        driver = FakeDriver(state / "instances", host=HOST)
        cc = ComputeCloud(cloud, driver, start_agent(cloud, driver), "", cloud.sdk())
        try:
            wait_for(lambda: any(True for _ in cc.conn.compute.services()), 30,
                     "the compute host to register")
            disk = tiny_qcow2(state / "tiny.qcow2")
            image = cc.conn.image.create_image(name="tiny", filename=str(disk),
                                               disk_format="qcow2", container_format="bare",
                                               visibility="public", wait=True)
            cc.image_id = image.id
            yield cc
        finally:
            cc.agent.stop()  # the one running now: a test may have replaced it


@pytest.fixture(scope="session")
def compute_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComputeCloud]:
    with serving(tmp_path_factory.mktemp("compute-cloud"), SERVICES) as cc:
        yield cc


@dataclass
class Member:
    """A user with the member role in a project of its own (not an administrator)."""

    conn: Any  # openstacksdk Connection
    project_id: str


@pytest.fixture(scope="session")
def member(compute_cloud: ComputeCloud) -> Member:
    return make_member(compute_cloud, "members")


NET_SERVICES = ("identity", "image", "compute", "network")


@pytest.fixture(scope="session")
def net_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComputeCloud]:
    """A cloud that also serves the network service: servers get ports."""
    with serving(tmp_path_factory.mktemp("net-compute-cloud"), NET_SERVICES) as cc:
        yield cc


def make_member(cc: ComputeCloud, prefix: str) -> Member:
    import uuid

    admin = cc.conn
    suffix = uuid.uuid4().hex[:6]
    project = admin.identity.create_project(name=f"{prefix}-{suffix}")
    user = admin.identity.create_user(name=f"{prefix}-user-{suffix}", password="pw-pw-pw",
                                      default_project_id=project.id)
    admin.identity.assign_project_role_to_user(project, user,
                                               admin.identity.find_role("member"))
    conn = cc.cloud.sdk(username=user.name, password="pw-pw-pw", project_name=project.name)
    return Member(conn, project.id)
