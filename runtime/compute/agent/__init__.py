"""`haneul agent compute`: the compute agent of one host (see :mod:`.loop`)."""

from __future__ import annotations

import logging
import signal
import socket
from pathlib import Path
from types import FrameType

from runtime.common.config import Config
from runtime.compute.drivers.base import ComputeDriver

log = logging.getLogger("haneul.compute.agent")


def instances_dir(config: Config) -> Path:
    return Path(config.compute.instances_dir or Path(config.state_dir) / "instances")


def host_name(config: Config) -> str:
    return config.compute.host or socket.gethostname()


def make_driver(config: Config) -> ComputeDriver:
    settings = config.compute
    if settings.driver == "fake":
        from runtime.compute.drivers.fake import FakeDriver

        return FakeDriver(instances_dir(config), host=host_name(config))
    try:
        from runtime.compute.drivers.libvirt.driver import LibvirtDriver
    except ImportError as exc:
        raise SystemExit(f"the libvirt driver needs libvirt-python ({exc}): install the "
                         "'compute' extra (scripts/install does)") from None

    low, high = settings.serial_port_range.split(":")

    return LibvirtDriver(instances_dir(config), uri=settings.libvirt_uri,
                         virt_type=settings.virt_type, host=host_name(config),
                         reserved_memory_mb=settings.reserved_host_memory_mb,
                         reserved_disk_mb=settings.reserved_host_disk_mb,
                         reserved_cpus=settings.reserved_host_cpus,
                         serial_listen=settings.serial_listen if settings.serial_console
                         else None,
                         serial_ports=(int(low), int(high)))


def run(config: Config) -> int:
    from runtime.compute.agent.controller import ControllerClient
    from runtime.compute.agent.loop import Agent
    from runtime.compute.service.core import load_or_create_secret

    settings = config.compute
    secret = settings.agent_secret or load_or_create_secret(Path(config.state_dir))
    controller = ControllerClient(settings.controller_url or config.public_url, secret,
                                  host_name(config))
    agent = Agent(make_driver(config), controller, zone=settings.availability_zone,
                  poll_timeout=settings.poll_timeout, sync_interval=settings.sync_interval,
                  heartbeat_interval=settings.heartbeat_interval)

    def stop(_sig: int, _frame: FrameType | None) -> None:
        agent.request_stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("compute agent for host %s watching %s", controller.host, controller.base)
    agent.run_forever()
    return 0
