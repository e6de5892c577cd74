"""The network agent's dataplane on real namespaces: DHCP over VXLAN, two projects with
the same addresses kept apart, security group changes within 2 s, floating IPs from
outside, and an agent restart that keeps traffic flowing and removes leftovers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from runtime.network.agent.firewall import link_local
from tests.e2e.network.conftest import Env, external_network
from tests.e2e.network.lab import (
    connect_from,
    neighbour_mac,
    ping,
    replies_within,
    sh,
    tcp_reply,
)
from tests.support import wait_for

pytestmark = pytest.mark.slow

CIDR = "10.10.0.0/24"
GUEST_IP = "10.10.0.10"


@dataclass
class Tenant:
    project: str
    network: Any
    subnet: Any
    router: Any
    router_port: Any


def make_tenant(env: Env, name: str, router_ip: str) -> Tenant:
    conn = env.conn
    project = env.project(name)
    net = conn.network.create_network(name=f"{name}-net", project_id=project)
    # The same pool in both projects: their DHCP ports get the same address too.
    sub = conn.network.create_subnet(network_id=net.id, project_id=project, ip_version=4,
                                     cidr=CIDR, gateway_ip=router_ip, name=f"{name}-sub",
                                     allocation_pools=[{"start": "10.10.0.2",
                                                        "end": "10.10.0.100"}])
    router = conn.network.create_router(name=f"{name}-router", project_id=project)
    conn.network.add_interface_to_router(router, subnet=sub.id)
    port = next(conn.network.ports(device_id=router.id))
    env.lab.owned.update({f"qdhcp-{net.id}", f"qrouter-{router.id}"})
    return Tenant(project, net, sub, router, port)


def plug(env: Env, tenant: Tenant, name: str, host: str, ip: str,
         groups: list[str] | None = None) -> tuple[Any, str]:
    """A guest port bound to ``host`` and a guest namespace plugged into its tap."""
    attrs: dict[str, Any] = {}
    if groups is not None:
        attrs["security_group_ids"] = groups
    port = env.conn.network.create_port(
        network_id=tenant.network.id, project_id=tenant.project,
        fixed_ips=[{"subnet_id": tenant.subnet.id, "ip_address": ip}],
        binding_host_id=host, device_owner="compute:nova", device_id=str(uuid.uuid4()),
        **attrs)
    return port, env.lab.guest(name, host, port.id, port.mac_address)


@pytest.fixture(scope="module")
def tenants(env: Env) -> tuple[Tenant, Tenant]:
    return make_tenant(env, "red", "10.10.0.1"), make_tenant(env, "blue", "10.10.0.254")


def test_same_addresses_in_two_projects_stay_apart(env: Env,
                                                   tenants: tuple[Tenant, Tenant]) -> None:
    red, blue = tenants
    red_port, red_guest = plug(env, red, "red1", env.cmp1, GUEST_IP)
    blue_port, blue_guest = plug(env, blue, "blue1", env.cmp1, GUEST_IP)

    # DHCP (served on net1, reached over VXLAN) gives each guest its own port's address.
    assert env.lab.dhcp(red_guest) == GUEST_IP, env.lab.agents[env.net1].tail()
    assert env.lab.dhcp(blue_guest) == GUEST_IP

    wait_for(lambda: ping(red_guest, "10.10.0.1"), 15, "red guest to reach its router")
    wait_for(lambda: ping(blue_guest, "10.10.0.254"), 15, "blue guest to reach its router")
    assert neighbour_mac(red_guest, "10.10.0.1") == red.router_port.mac_address
    assert neighbour_mac(blue_guest, "10.10.0.254") == blue.router_port.mac_address
    # The other project's router is on another network: never answered.
    assert not ping(red_guest, "10.10.0.254")
    assert not ping(blue_guest, "10.10.0.1")
    # Both DHCP servers have the same address: each guest reaches its own.
    red_dhcp, blue_dhcp = (next(env.conn.network.ports(network_id=t.network.id,
                                                       device_owner="network:dhcp"))
                           for t in (red, blue))
    assert red_dhcp.fixed_ips[0]["ip_address"] == blue_dhcp.fixed_ips[0]["ip_address"]
    assert ping(red_guest, red_dhcp.fixed_ips[0]["ip_address"])
    assert neighbour_mac(red_guest, red_dhcp.fixed_ips[0]["ip_address"]) == \
        red_dhcp.mac_address

    def active(port_id: str) -> bool:
        return str(env.conn.network.get_port(port_id).status) == "ACTIVE"

    wait_for(lambda: active(red_port.id) and active(blue_port.id), 15,
             "the agent to report the guest ports ACTIVE")


@dataclass
class Server:
    """A TCP server in a guest namespace answering every connection with a word."""

    process: Any

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def tcp_server(guest: str, port: int, word: str) -> Server:
    import subprocess

    proc = subprocess.Popen(["ip", "netns", "exec", guest, "busybox", "nc", "-ll", "-p",
                             str(port), "-e", "echo", word],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return Server(proc)


def test_security_group_rules_apply_within_two_seconds(
        env: Env, tenants: tuple[Tenant, Tenant]) -> None:
    red, _ = tenants
    conn = env.conn
    locked = conn.network.create_security_group(name="locked", project_id=red.project)
    # A guest on the network node, behind a group that lets nothing in; its client on
    # the compute host (the traffic crosses VXLAN and both hosts' filters).
    _, server_guest = plug(env, red, "red2", env.net1, "10.10.0.11", [locked.id])
    _, client_guest = plug(env, red, "red3", env.cmp1, "10.10.0.12")
    assert env.lab.dhcp(server_guest) == "10.10.0.11"
    assert env.lab.dhcp(client_guest) == "10.10.0.12"
    server = tcp_server(server_guest, 8080, "hello")
    try:
        wait_for(lambda: ping(client_guest, "10.10.0.1"), 15, "the client's network")
        assert not ping(client_guest, "10.10.0.11")
        assert tcp_reply(client_guest, "10.10.0.11", 8080) == ""

        # Each change must show within 2 s of the API's answer.
        icmp = conn.network.create_security_group_rule(
            security_group_id=locked.id, direction="ingress", ethertype="IPv4",
            protocol="icmp", remote_ip_prefix="0.0.0.0/0")
        assert replies_within(client_guest, "10.10.0.11", 2), "ping still blocked after 2 s"
        assert tcp_reply(client_guest, "10.10.0.11", 8080) == ""  # only ICMP was opened
        tcp = conn.network.create_security_group_rule(
            security_group_id=locked.id, direction="ingress", ethertype="IPv4",
            protocol="tcp", port_range_min=8080, port_range_max=8080)
        wait_for(lambda: tcp_reply(client_guest, "10.10.0.11", 8080) == "hello", 2,
                 "TCP to pass the new rule")

        conn.network.delete_security_group_rule(tcp)
        wait_for(lambda: tcp_reply(client_guest, "10.10.0.11", 8080) == "", 2,
                 "TCP to be blocked again")
        conn.network.delete_security_group_rule(icmp)
        # A refused ping takes its 1 s wait to tell: 2 s for the change, 1 s to see it.
        wait_for(lambda: not ping(client_guest, "10.10.0.11"), 3, "ping to be blocked again")
    finally:
        server.stop()


def test_egress_follows_the_rules_and_dhcp_always_works(
        env: Env, tenants: tuple[Tenant, Tenant]) -> None:
    red, _ = tenants
    conn = env.conn
    mute = conn.network.create_security_group(name="mute", project_id=red.project)
    for rule in list(conn.network.security_group_rules(security_group_id=mute.id)):
        conn.network.delete_security_group_rule(rule)  # the default egress rules
    _, guest = plug(env, red, "red7", env.cmp1, "10.10.0.16", [mute.id])
    assert env.lab.dhcp(guest) == "10.10.0.16"  # DHCP needs no rule
    assert not ping(guest, "10.10.0.1")
    conn.network.create_security_group_rule(
        security_group_id=mute.id, direction="egress", ethertype="IPv4", protocol="icmp")
    assert replies_within(guest, "10.10.0.1", 2), "egress ping still blocked after 2 s"


def test_a_guest_cannot_send_from_another_address(
        env: Env, tenants: tuple[Tenant, Tenant]) -> None:
    red, _ = tenants
    _, guest = plug(env, red, "red4", env.cmp1, "10.10.0.13")
    assert env.lab.dhcp(guest) == "10.10.0.13"
    wait_for(lambda: ping(guest, "10.10.0.1"), 15, "the guest's network")
    # Taking another address (here the router's own) gets the guest nowhere.
    sh("ip", "addr", "flush", "dev", "eth0", ns=guest)
    sh("ip", "addr", "add", "10.10.0.50/24", "dev", "eth0", ns=guest)
    assert not ping(guest, "10.10.0.1", count=2)
    sh("ip", "addr", "flush", "dev", "eth0", ns=guest)
    sh("ip", "addr", "add", "10.10.0.13/24", "dev", "eth0", ns=guest)
    wait_for(lambda: ping(guest, "10.10.0.1"), 5, "the guest's own address to work again")


def test_floating_ip_reachable_from_outside(env: Env,
                                            tenants: tuple[Tenant, Tenant]) -> None:
    red, _ = tenants
    conn = env.conn
    ext = external_network(conn)
    conn.network.update_router(red.router, external_gateway_info={"network_id": ext.id})
    port, guest = plug(env, red, "red5", env.cmp1, "10.10.0.14")
    assert env.lab.dhcp(guest) == "10.10.0.14"
    default = next(conn.network.security_groups(project_id=red.project, name="default"))
    conn.network.create_security_group_rule(
        security_group_id=default.id, direction="ingress", ethertype="IPv4",
        protocol="icmp", remote_ip_prefix="0.0.0.0/0")
    # SNAT: the outside has no route to 10.10.0.0/24, yet answers the guest.
    wait_for(lambda: ping(guest, "172.30.0.1"), 15, "the guest to reach outside via SNAT")
    fip = conn.network.create_ip(floating_network_id=ext.id, port_id=port.id,
                                 project_id=red.project)
    address = fip.floating_ip_address
    wait_for(lambda: ping(env.ext, address), 15, f"the floating IP {address} from outside")
    # A connection through the floating IP, open when it is disassociated.
    conn.network.create_security_group_rule(
        security_group_id=default.id, direction="ingress", ethertype="IPv4",
        protocol="tcp", port_range_min=9100, port_range_max=9100)
    import subprocess

    echo = subprocess.Popen(["ip", "netns", "exec", guest, "busybox", "nc", "-ll", "-p",
                             "9100", "-e", "cat"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        def echo_up() -> bool:
            try:
                connect_from(env.ext, address, 9100, 0.5).close()
                return True
            except OSError:
                return False

        wait_for(echo_up, 10, "the guest's echo server through the floating IP")
        flow = connect_from(env.ext, address, 9100)
        flow.settimeout(2)
        flow.sendall(b"before\n")
        assert flow.recv(100) == b"before\n"
        conn.network.update_ip(fip, port_id=None)
        wait_for(lambda: not ping(env.ext, address), 5, "the floating IP to go away")
        # Its translation went with it: the open connection reaches the guest no more.
        try:
            flow.sendall(b"after\n")
            answered = flow.recv(100)
        except OSError:
            answered = b""
        assert answered == b"", "a disassociated floating IP still carried a connection"
        flow.close()
    finally:
        echo.terminate()
        echo.wait(10)


def test_agent_restart_keeps_traffic_and_resync_removes_leftovers(
        env: Env, tenants: tuple[Tenant, Tenant]) -> None:
    red, _ = tenants
    _, guest = plug(env, red, "red6", env.cmp1, "10.10.0.15")
    assert env.lab.dhcp(guest) == "10.10.0.15"
    wait_for(lambda: ping(guest, "10.10.0.1"), 15, "the guest's router")
    agent = env.lab.agents[env.net1]
    # A router and a network that will be deleted while the agent is away.
    api = env.conn
    gone_net = api.network.create_network(name="gone", project_id=red.project)
    gone_sub = api.network.create_subnet(network_id=gone_net.id, project_id=red.project,
                                         ip_version=4, cidr="10.99.0.0/24")
    gone_router = api.network.create_router(name="gone", project_id=red.project)
    api.network.add_interface_to_router(gone_router, subnet_id=gone_sub.id)
    stale = {f"qrouter-{gone_router.id}", f"qdhcp-{gone_net.id}"}
    env.lab.owned.update(stale)
    wait_for(lambda: stale <= set(sh("ip", "netns", "list").stdout.split()), 60,
             "the agent to make the router's and the DHCP server's namespaces")
    # An echo server in the router's namespace and a connection to it from the guest,
    # through both hosts' bridges, VXLAN and conntrack.
    import subprocess

    echo = subprocess.Popen(["ip", "netns", "exec", f"qrouter-{red.router.id}", "busybox",
                             "nc", "-ll", "-p", "9000", "-e", "cat"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def echo_up() -> bool:
        try:
            connect_from(guest, "10.10.0.1", 9000, 0.5).close()
            return True
        except OSError:
            return False

    wait_for(echo_up, 10, "the echo server")
    conn = connect_from(guest, "10.10.0.1", 9000)
    conn.settimeout(5)
    conn.sendall(b"before\n")
    assert conn.recv(100) == b"before\n"
    dnsmasq_pid = (env.lab.root / env.net1 / "network-agent" / "dhcp" / red.network.id /
                   "pid").read_text()
    # The bridges that stay: every one but the network deleted below.
    bridges = [line for line in sh("ip", "-o", "link", "show", "type", "bridge",
                                   ns=env.net1).stdout.splitlines()
               if f"brq{gone_net.id[:11]}" not in line]

    agent.stop()
    assert ping(guest, "10.10.0.1"), "traffic stopped with the agent"
    api.network.remove_interface_from_router(gone_router, subnet_id=gone_sub.id)
    api.network.delete_router(gone_router)
    api.network.delete_network(gone_net)
    # Leftovers of a network deleted while the agent was away.
    sh("ip", "link", "add", "brqdeadbeef-00", "type", "bridge", ns=env.net1)
    sh("ip", "link", "add", "vxlan-999", "type", "vxlan", "id", "999", "dstport", "4789",
       ns=env.net1)
    agent.start()
    wait_for(lambda: not stale & set(sh("ip", "netns", "list").stdout.split()), 60,
             "the restarted agent to remove the namespaces nothing needs any more")

    def links_gone() -> bool:
        links = sh("ip", "-o", "link", "show", ns=env.net1).stdout
        return "brqdeadbeef-00" not in links and "vxlan-999" not in links

    wait_for(links_gone, 10, "the restarted agent to remove a stale bridge and VXLAN device")
    try:
        # The connection made before the restart still carries data.
        conn.sendall(b"after\n")
        assert conn.recv(100) == b"after\n"
    finally:
        conn.close()
        echo.terminate()
        echo.wait(10)
    assert ping(guest, "10.10.0.1")
    # Nothing was rebuilt: same DHCP server process, same bridges.
    assert (env.lab.root / env.net1 / "network-agent" / "dhcp" / red.network.id /
            "pid").read_text() == dnsmasq_pid
    assert sh("ip", "-o", "link", "show", "type", "bridge",
              ns=env.net1).stdout.splitlines() == bridges


def add_server(env: Env, project: str, name: str, user_data: bytes) -> str:
    """A server as the compute service records it (this lab runs no compute agent)."""
    import base64

    from runtime.common.db import Database
    from runtime.compute import models as cm

    db = Database(f"sqlite:///{env.cloud.state / 'haneul.db'}")
    server_id = str(uuid.uuid4())
    try:
        with db.session() as s:
            s.add(cm.Server(id=server_id, name=name, hostname=name, project_id=project,
                            user_id="u", flavor_id="f", vm_state="active",
                            availability_zone="nova",
                            user_data=base64.b64encode(user_data).decode()))
    finally:
        db.dispose()
    return server_id


def fetch(guest: str, path: str) -> str:
    # (busybox 1.35's wget crashes with -T: the subprocess timeout bounds it instead)
    return sh("busybox", "wget", "-q", "-O", "-", f"http://169.254.169.254{path}",
              ns=guest, check=False, timeout=15).stdout


def test_metadata_answers_each_network_for_the_same_fixed_ip(
        env: Env, tenants: tuple[Tenant, Tenant]) -> None:
    import json

    conn = env.conn
    red, blue = tenants
    # An isolated network too (no router): its DHCP namespace serves metadata.
    green_net = conn.network.create_network(name="green-net", project_id=red.project)
    green_sub = conn.network.create_subnet(network_id=green_net.id, project_id=red.project,
                                           ip_version=4, cidr=CIDR, gateway_ip=None,
                                           allocation_pools=[{"start": "10.10.0.2",
                                                              "end": "10.10.0.100"}])
    env.lab.owned.add(f"qdhcp-{green_net.id}")
    green = Tenant(red.project, green_net, green_sub, None, None)
    guests = {}
    for tenant, name in ((red, "red-md"), (blue, "blue-md"), (green, "green-md")):
        server_id = add_server(env, tenant.project, name, f"#!/bin/sh\necho {name}\n".encode())
        port = conn.network.create_port(
            network_id=tenant.network.id, project_id=tenant.project,
            fixed_ips=[{"subnet_id": tenant.subnet.id, "ip_address": "10.10.0.20"}],
            binding_host_id=env.cmp1, device_owner="compute:nova", device_id=server_id)
        guest = env.lab.guest(name, env.cmp1, port.id, port.mac_address)
        assert env.lab.dhcp(guest) == "10.10.0.20"
        guests[name] = (guest, server_id)
    for name, (guest, server_id) in guests.items():
        def answered(g: str = guest) -> bool:
            return fetch(g, "/openstack/latest/meta_data.json") != ""

        wait_for(answered, 15, f"metadata for {name}")
        meta = json.loads(fetch(guest, "/openstack/latest/meta_data.json"))
        assert (meta["uuid"], meta["name"]) == (server_id, name)
        assert fetch(guest, "/openstack/latest/user_data") == f"#!/bin/sh\necho {name}\n"
        assert fetch(guest, "/latest/meta-data/instance-id") == server_id
        assert fetch(guest, "/latest/meta-data/local-ipv4") == "10.10.0.20"


def test_ipv6_slaac_from_router_advertisements(env: Env,
                                               tenants: tuple[Tenant, Tenant]) -> None:
    conn = env.conn
    red, _ = tenants
    net = conn.network.create_network(name="v6-net", project_id=red.project)
    env.lab.owned.add(f"qdhcp-{net.id}")
    sub = conn.network.create_subnet(network_id=net.id, project_id=red.project,
                                     ip_version=6, cidr="2001:db8:10::/64",
                                     ipv6_ra_mode="slaac", ipv6_address_mode="slaac")
    port = conn.network.create_port(network_id=net.id, project_id=red.project,
                                    binding_host_id=env.cmp1, device_owner="compute:nova",
                                    device_id=str(uuid.uuid4()))
    address = next(ip["ip_address"] for ip in port.fixed_ips if ip["subnet_id"] == sub.id)
    guest = env.lab.guest("red-v6", env.cmp1, port.id, port.mac_address)

    def autoconfigured() -> bool:
        return address in sh("ip", "-6", "addr", "show", "dev", "eth0", ns=guest).stdout

    # The kernel forms the same EUI-64 address Neutron gave the port, from dnsmasq's RA.
    wait_for(autoconfigured, 30, f"SLAAC to configure {address}")
    dhcp_port = next(conn.network.ports(network_id=net.id, device_owner="network:dhcp"))
    server = next(ip["ip_address"] for ip in dhcp_port.fixed_ips)
    wait_for(lambda: sh("busybox", "ping6", "-c", "1", "-W", "1", server, ns=guest,
                        check=False).returncode == 0, 15, "ping6 to the DHCP port")

    # On a router, the router announces the subnet too, as the default router (the DHCP
    # namespace's RAs have router lifetime 0: they alone give no default route).
    router = conn.network.create_router(name="v6-router", project_id=red.project)
    env.lab.owned.add(f"qrouter-{router.id}")
    conn.network.add_interface_to_router(router, subnet=sub.id)
    router_port = next(conn.network.ports(device_id=router.id, network_id=net.id))
    via = f"via {link_local(router_port.mac_address)} dev eth0"

    def default_route() -> bool:
        return via in sh("ip", "-6", "route", "show", "default", ns=guest).stdout

    wait_for(default_route, 60, f"a default route {via} from the router's RA")
    assert sub.gateway_ip in {ip["ip_address"] for ip in router_port.fixed_ips}
    wait_for(lambda: sh("busybox", "ping6", "-c", "1", "-W", "1", sub.gateway_ip, ns=guest,
                        check=False).returncode == 0, 15, "ping6 to the router's interface")


def test_a_freed_address_leases_to_its_next_port(env: Env,
                                                 tenants: tuple[Tenant, Tenant]) -> None:
    """A server deleted and another given its address: dnsmasq must forget the old
    lease, or it offers the address to nobody until that lease runs out."""
    red, _ = tenants
    first, guest = plug(env, red, "red-first", env.cmp1, "10.10.0.60")
    assert env.lab.dhcp(guest) == "10.10.0.60"
    env.conn.network.delete_port(first)
    sh("ip", "netns", "del", guest)
    env.lab.namespaces.remove(guest)
    second, guest = plug(env, red, "red-second", env.cmp1, "10.10.0.60")
    assert second.mac_address != first.mac_address
    assert env.lab.dhcp(guest) == "10.10.0.60"
