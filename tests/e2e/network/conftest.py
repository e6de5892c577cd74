"""The network lab: a controller (identity + network) on loopback, two hosts as
namespaces (``net1`` runs DHCP and routers, ``cmp1`` only plugs guests), joined by an
underlay for VXLAN, and an external namespace on a flat provider network of net1."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.network.lab import Lab, lab, sh, tools_missing
from tests.support import Cloud, running_cloud, wait_for


@dataclass
class Env:
    cloud: Cloud
    lab: Lab
    conn: Any
    net1: str
    cmp1: str
    ext: str

    def project(self, name: str) -> str:
        return str(self.conn.identity.create_project(name=f"{name}-{uuid.uuid4().hex[:6]}",
                                                     domain_id="default").id)


@pytest.fixture(scope="session")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    missing = tools_missing()
    if missing:
        pytest.skip(missing)
    root = tmp_path_factory.mktemp("network-lab")
    secret = secrets.token_urlsafe(16)
    extra = f'[network]\nagent_secret = "{secret}"\nagent_down_time = 30\n'
    with running_cloud(root / "controller", extra, ["identity", "network"]) as cloud, \
            lab(root, secret, cloud.port) as made:
        net1, cmp1, ext = made.netns("net1"), made.netns("cmp1"), made.netns("ext")
        tunnel = made.underlay([net1, cmp1])
        # The external network: net1's ext0 is a veth whose other end is the outside.
        sh("ip", "link", "add", "ext0", "type", "veth", "peer", "name", "eth0", "netns", ext,
           ns=net1)
        sh("ip", "link", "set", "ext0", "up", ns=net1)
        sh("ip", "addr", "add", "172.30.0.1/24", "dev", "eth0", ns=ext)
        sh("ip", "link", "set", "eth0", "up", ns=ext)
        made.add_agent(net1, local_ip=tunnel[net1], dhcp=True, l3=True,
                       mappings={"extnet": "ext0"})
        made.add_agent(cmp1, local_ip=tunnel[cmp1], dhcp=False, l3=False)
        conn = cloud.sdk()

        def agents_up() -> bool:
            for agent in made.agents.values():
                if agent.process is not None and agent.process.poll() is not None:
                    raise AssertionError(f"agent on {agent.host} exited: {agent.tail()}")
            alive = {(a.agent_type, a.host) for a in conn.network.agents() if a.is_alive}
            return {("L3 agent", net1), ("DHCP agent", net1), ("Linux bridge agent", cmp1),
                    ("Linux bridge agent", net1)} <= alive

        wait_for(agents_up, 60, "the network agents to register")
        yield Env(cloud, made, conn, net1, cmp1, ext)


def external_network(conn: Any) -> Any:
    """The external flat network "public" on physical network ``extnet`` (net1's ext0,
    whose other end is the outside at 172.30.0.1), with its subnet 172.30.0.0/24:
    floating IPs from 172.30.0.100-200, no DHCP."""
    ext = conn.network.create_network(name="public", is_router_external=True,
                                      provider_network_type="flat",
                                      provider_physical_network="extnet")
    conn.network.create_subnet(network_id=ext.id, ip_version=4, cidr="172.30.0.0/24",
                               gateway_ip="172.30.0.1", enable_dhcp=False,
                               allocation_pools=[{"start": "172.30.0.100",
                                                  "end": "172.30.0.200"}])
    return ext
