"""`haneul agent network`: the Linux dataplane of one host (see :mod:`.loop`).

Bridges ``brq<network>`` with VXLAN (``vxlan-<VNI>``) or a physical interface as uplink,
DHCP in ``qdhcp-<network>`` (dnsmasq), routers in ``qrouter-<router>``, security groups
in nftables, and a metadata proxy on 169.254.169.254 in those namespaces."""

from __future__ import annotations

import logging
import signal
import socket
from pathlib import Path
from types import FrameType

from runtime.common.config import Config

log = logging.getLogger("haneul.network.agent")


def cleanup(config: Config) -> int:
    """Remove this host's dataplane (the agent must be stopped first)."""
    from runtime.network.agent.converge import Converger
    from runtime.network.agent.dhcp import Dnsmasq
    from runtime.network.agent.plan import AgentConfig

    s = config.network.agent
    cfg = AgentConfig(host=s.host or socket.gethostname())
    removed = Converger(cfg, Dnsmasq(s.dnsmasq, _state_root(config))).teardown()
    # One line for the installer, which reports a change when something went.
    print(f"removed {', '.join(removed)}" if removed else "nothing to remove")
    return 0


def _state_root(config: Config) -> Path:
    return Path(config.network.agent.state_dir or Path(config.state_dir) / "network-agent")


def run(config: Config) -> int:
    from runtime.network.agent import ip
    from runtime.network.agent.controller import ControllerClient
    from runtime.network.agent.converge import Converger
    from runtime.network.agent.dhcp import Dnsmasq
    from runtime.network.agent.loop import Agent
    from runtime.network.agent.metadata import MetadataProxies
    from runtime.network.agent.plan import AgentConfig
    from runtime.network.service.agents import load_or_create_secret

    net = config.network
    s = net.agent
    host = s.host or socket.gethostname()
    secret = net.agent_secret or load_or_create_secret(Path(config.state_dir))
    controller = ControllerClient(s.controller_url or config.public_url, secret, host)
    vlan = ip.vlan_supported()
    if not vlan:
        log.warning("this kernel has no 802.1Q VLAN devices: VLAN networks are refused")
    cfg = AgentConfig(host=host, local_ip=s.local_ip, vxlan_port=s.vxlan_port,
                      physical_interface_mappings=dict(s.physical_interface_mappings),
                      dhcp=s.dhcp, l3=s.l3, metadata=s.metadata, vlan_supported=vlan,
                      dns_domain=net.dns_domain, lease_time=s.dhcp_lease_time)
    root = _state_root(config)
    proxies = MetadataProxies(controller)
    converger = Converger(cfg, Dnsmasq(s.dnsmasq, root), proxies.ensure, proxies.stop)
    agent = Agent(cfg, controller, converger, zone=net.default_availability_zone,
                  poll_timeout=s.poll_timeout, heartbeat_interval=s.heartbeat_interval,
                  resync_interval=s.resync_interval,
                  device_poll_interval=s.device_poll_interval,
                  settle_interval=s.settle_interval)

    def stop(_sig: int, _frame: FrameType | None) -> None:
        agent.request_stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("network agent for host %s watching %s", host, controller.base)
    try:
        agent.run_forever()
    finally:
        proxies.close()
    return 0
