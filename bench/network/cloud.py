"""The cloud and lab bench/network measures: the controller and one network host of
tests/e2e/network, and the project, router and sending guest every measurement shares."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from tests.e2e.network.conftest import Env
from tests.e2e.network.lab import lab, sh
from tests.e2e.network.test_dataplane import Tenant, make_tenant, plug
from tests.support import running_cloud, wait_for

SENDER_IP = "10.10.0.30"


@contextmanager
def network_lab(root: Path) -> Iterator[Env]:
    """The controller and lab of tests/e2e/network/conftest.py, with one host: net1
    runs DHCP and routers, and its ext0 leads to the ``ext`` namespace."""
    secret = secrets.token_urlsafe(16)
    extra = f'[network]\nagent_secret = "{secret}"\nagent_down_time = 30\n'
    with running_cloud(root / "controller", extra, ["identity", "network"]) as cloud, \
            lab(root, secret, cloud.port) as made:
        net1, ext = made.netns("net1"), made.netns("ext")
        tunnel = made.underlay([net1])
        sh("ip", "link", "add", "ext0", "type", "veth", "peer", "name", "eth0", "netns", ext,
           ns=net1)
        sh("ip", "link", "set", "ext0", "up", ns=net1)
        sh("ip", "addr", "add", "172.30.0.1/24", "dev", "eth0", ns=ext)
        sh("ip", "link", "set", "eth0", "up", ns=ext)
        agent = made.add_agent(net1, local_ip=tunnel[net1], dhcp=True, l3=True,
                               mappings={"extnet": "ext0"})
        conn = cloud.sdk()

        def agents_up() -> bool:
            if agent.process is not None and agent.process.poll() is not None:
                raise RuntimeError(f"the agent exited: {agent.tail()}")
            alive = {(a.agent_type, a.host) for a in conn.network.agents() if a.is_alive}
            return {("L3 agent", net1), ("DHCP agent", net1),
                    ("Linux bridge agent", net1)} <= alive

        wait_for(agents_up, 60, "the network agent to register")
        yield Env(cloud, made, conn, net1, net1, ext)


def project_and_sender(env: Env) -> tuple[Tenant, str]:
    """The project (network 10.10.0.0/24 and router, no quotas) and the sending guest's
    namespace: in the project's default group (which lets ICMP in), it is also the guest
    the DHCP probe asks from."""
    conn = env.conn
    tenant = make_tenant(env, "bench", "10.10.0.1")
    with suppress(Exception):
        conn.network.update_quota(tenant.project, port=-1, security_group_rule=-1,
                                  security_group=-1, floatingip=-1)
    # The outside re-sends ARP every 20 ms (not 1 s): a floating IP's first
    # answer is not held back by the outside's ARP timer.
    sh("sysctl", "-q", "-w", "net.ipv4.neigh.eth0.retrans_time_ms=20", ns=env.ext)
    _, sender = plug(env, tenant, "sender", env.net1, SENDER_IP)
    default = next(conn.network.security_groups(project_id=tenant.project, name="default"))
    conn.network.create_security_group_rule(
        security_group_id=default.id, direction="ingress", ethertype="IPv4",
        protocol="icmp", remote_ip_prefix="0.0.0.0/0")
    if env.lab.dhcp(sender) != SENDER_IP:
        raise RuntimeError(f"the sender got no address: "
                           f"{env.lab.agents[env.net1].tail()}")
    sh("sysctl", "-q", "-w", "net.ipv4.ip_local_port_range=1024 65000", ns=sender)
    return tenant, sender
