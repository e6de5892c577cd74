"""What one host's network agent builds: the desired state the internal API serves.

A host needs the networks of the ports bound to it, of the networks whose DHCP server it
runs and of the routers it hosts; with them every port of those networks (DHCP host
entries, remote groups), the rules of the security groups of its ports, and the tunnel
endpoints of the other hosts. DHCP servers and routers are scheduled here: one alive
agent of the right type per network or router, sticky while that agent stays alive.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.common.db import utcnow
from runtime.network import models as m
from runtime.network.service import addressing
from runtime.network.service.core import Network

LINUXBRIDGE = "Linux bridge agent"
DHCP = "DHCP agent"
L3 = "L3 agent"
METADATA = "Metadata agent"
DHCP_OWNER = "network:dhcp"
INTERFACE_OWNERS = ("network:router_interface", "network:router_interface_distributed",
                    "network:ha_router_replicated_interface")
GATEWAY_OWNER = "network:router_gateway"


def alive_hosts(svc: Network, s: Session, agent_type: str) -> list[str]:
    down = utcnow() - timedelta(seconds=svc.settings.agent_down_time)
    rows = s.scalars(select(m.Agent).where(m.Agent.agent_type == agent_type,
                                           m.Agent.admin_state_up.is_(True),
                                           m.Agent.heartbeat_timestamp >= down))
    return sorted(a.host for a in rows)


def pick(candidates: Sequence[str], key: str, current: Iterable[str]) -> str | None:
    """The host of ``key``: one it already uses while that host is a candidate, else
    one chosen by a hash of the key (spreads networks and routers over the hosts)."""
    for host in current:
        if host and host in candidates:
            return host
    if not candidates:
        return None
    digest = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)
    return candidates[digest % len(candidates)]


def dhcp_host(s: Session, net_id: str, dhcp_hosts: Sequence[str]) -> str | None:
    if not s.scalar(select(m.Subnet.id).where(m.Subnet.network_id == net_id,
                                              m.Subnet.enable_dhcp.is_(True)).limit(1)):
        return None
    bound = s.scalars(select(m.Port.binding_host_id).where(
        m.Port.network_id == net_id, m.Port.device_owner == DHCP_OWNER))
    return pick(dhcp_hosts, net_id, sorted(bound))


def router_ports(s: Session, router_id: str) -> list[m.Port]:
    return list(s.scalars(select(m.Port).where(
        m.Port.device_id == router_id,
        m.Port.device_owner.in_((*INTERFACE_OWNERS, GATEWAY_OWNER))).order_by(m.Port.id)))


def router_host(s: Session, router_id: str, l3_hosts: Sequence[str]) -> str | None:
    bound = sorted({p.binding_host_id for p in router_ports(s, router_id)})
    return pick(l3_hosts, router_id, bound)


def tunnel_endpoints(svc: Network, s: Session, host: str) -> list[dict[str, str]]:
    down = utcnow() - timedelta(seconds=svc.settings.agent_down_time)
    out = []
    for agent in s.scalars(select(m.Agent).where(m.Agent.agent_type == LINUXBRIDGE,
                                                 m.Agent.heartbeat_timestamp >= down)):
        ip = (agent.configurations or {}).get("tunneling_ip")
        if agent.host != host and ip:
            out.append({"host": agent.host, "ip": str(ip)})
    return sorted(out, key=lambda e: e["host"])


def hostname(ips: list[dict[str, str]]) -> str:
    """Neutron's DHCP name of a port without a DNS name: host-10-0-0-5."""
    if not ips:
        return ""
    return "host-" + ips[0]["ip_address"].replace(".", "-").replace(":", "-")


def _port(p: m.Port, ips: list[dict[str, str]], groups: list[str]) -> dict[str, Any]:
    return {"id": p.id, "network_id": p.network_id, "project_id": p.project_id,
            "mac_address": p.mac_address, "fixed_ips": ips, "device_owner": p.device_owner,
            "device_id": p.device_id, "admin_state_up": p.admin_state_up,
            "port_security_enabled": p.port_security_enabled, "security_groups": groups,
            "allowed_address_pairs": list(p.allowed_address_pairs),
            "extra_dhcp_opts": list(p.extra_dhcp_opts), "host": p.binding_host_id,
            "status": p.status, "hostname": hostname(ips)}


def _subnet(svc: Network, x: m.Subnet) -> dict[str, Any]:
    dns = list(x.dns_nameservers) or [
        ns for ns in svc.settings.dns_nameservers
        if ipaddress.ip_address(ns).version == x.ip_version]
    return {"id": x.id, "network_id": x.network_id, "ip_version": x.ip_version,
            "cidr": x.cidr, "gateway_ip": x.gateway_ip, "enable_dhcp": x.enable_dhcp,
            "ipv6_ra_mode": x.ipv6_ra_mode, "ipv6_address_mode": x.ipv6_address_mode,
            "dns_nameservers": dns, "host_routes": list(x.host_routes),
            "allocation_pools": list(x.allocation_pools)}


def _groups_of(s: Session, port_ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for i in range(0, len(port_ids), 500):
        for pid, sg in s.execute(select(m.PortSecurityGroup.port_id,
                                        m.PortSecurityGroup.security_group_id)
                                 .where(m.PortSecurityGroup.port_id.in_(port_ids[i:i + 500]))):
            out[pid].append(sg)
    return out


def _security(s: Session, group_ids: set[str]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    groups: dict[str, Any] = {}
    remote: set[str] = set()
    if group_ids:
        for sg in s.scalars(select(m.SecurityGroup).where(
                m.SecurityGroup.id.in_(sorted(group_ids)))):
            groups[sg.id] = {"stateful": sg.stateful, "rules": []}
        for r in s.scalars(select(m.SecurityGroupRule).where(
                m.SecurityGroupRule.security_group_id.in_(sorted(group_ids)))
                .order_by(m.SecurityGroupRule.id)):
            groups[r.security_group_id]["rules"].append({
                "id": r.id, "direction": r.direction, "ethertype": r.ethertype,
                "protocol": r.protocol, "port_range_min": r.port_range_min,
                "port_range_max": r.port_range_max, "remote_ip_prefix": r.remote_ip_prefix,
                "remote_group_id": r.remote_group_id})
            if r.remote_group_id:
                remote.add(r.remote_group_id)
    members: dict[str, list[str]] = {}
    for sg_id in sorted(remote):
        port_ids = list(s.scalars(select(m.PortSecurityGroup.port_id).where(
            m.PortSecurityGroup.security_group_id == sg_id)))
        ips: set[str] = set()
        for pid, fixed in addressing.fixed_ips(s, port_ids).items():
            ips.update(ip["ip_address"] for ip in fixed)
            port = s.get(m.Port, pid)
            if port is not None:
                ips.update(str(pair["ip_address"]) for pair in port.allowed_address_pairs)
        members[sg_id] = sorted(ips)
    return groups, members


def desired(svc: Network, s: Session, host: str) -> dict[str, Any]:
    """Everything the agent of ``host`` builds, as plain JSON-ready data."""
    dhcp_hosts = alive_hosts(svc, s, DHCP)
    l3_hosts = alive_hosts(svc, s, L3)
    net_ids: set[str] = set(s.scalars(select(m.Port.network_id).where(
        m.Port.binding_host_id == host)))
    dhcp_here: set[str] = set()
    for net_id in s.scalars(select(m.Subnet.network_id).where(
            m.Subnet.enable_dhcp.is_(True)).distinct()):
        if dhcp_host(s, net_id, dhcp_hosts) == host:
            dhcp_here.add(net_id)
    routers_here: list[m.Router] = []
    for router in s.scalars(select(m.Router).order_by(m.Router.id)):
        if router_host(s, router.id, l3_hosts) == host:
            routers_here.append(router)
            net_ids.update(p.network_id for p in router_ports(s, router.id))
    net_ids |= dhcp_here
    nets = list(s.scalars(select(m.Network).where(m.Network.id.in_(sorted(net_ids)))
                          .order_by(m.Network.id)))
    subnets: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for x in s.scalars(select(m.Subnet).where(m.Subnet.network_id.in_(sorted(net_ids)))
                       .order_by(m.Subnet.id)):
        subnets[x.network_id].append(_subnet(svc, x))
    rows = list(s.scalars(select(m.Port).where(m.Port.network_id.in_(sorted(net_ids)))
                          .order_by(m.Port.id)))
    ips = addressing.fixed_ips(s, [p.id for p in rows])
    groups = _groups_of(s, [p.id for p in rows])
    ports = {p.id: _port(p, ips[p.id], sorted(groups[p.id])) for p in rows}
    routed = {p["network_id"] for p in ports.values() if p["device_owner"] in INTERFACE_OWNERS}
    local_groups = {sg for p in ports.values() if p["host"] == host
                    for sg in p["security_groups"]}
    sgs, members = _security(s, local_groups)
    routers = []
    for router in routers_here:
        own = [ports[p.id] for p in router_ports(s, router.id) if p.id in ports]
        fips = [{"id": f.id, "floating_ip_address": f.floating_ip_address,
                 "fixed_ip_address": f.fixed_ip_address, "port_id": f.port_id}
                for f in s.scalars(select(m.FloatingIP).where(
                    m.FloatingIP.router_id == router.id, m.FloatingIP.port_id.is_not(None))
                    .order_by(m.FloatingIP.id))]
        routers.append({
            "id": router.id, "project_id": router.project_id,
            "admin_state_up": router.admin_state_up, "enable_snat": router.enable_snat,
            "routes": list(router.routes),
            "gateway": next((p for p in own if p["id"] == router.gw_port_id), None),
            "interfaces": [p for p in own if p["device_owner"] in INTERFACE_OWNERS],
            "floating_ips": fips})
    return {
        "host": host,
        "networks": [{"id": n.id, "project_id": n.project_id, "network_type": n.network_type,
                      "physical_network": n.physical_network,
                      "segmentation_id": n.segmentation_id, "mtu": n.mtu,
                      "admin_state_up": n.admin_state_up, "external": n.external,
                      "dhcp": n.id in dhcp_here, "routed": n.id in routed,
                      "subnets": subnets[n.id]} for n in nets],
        "ports": list(ports.values()),
        "routers": routers,
        "security_groups": sgs,
        "remote_groups": members,
        "tunnel_endpoints": tunnel_endpoints(svc, s, host),
    }
