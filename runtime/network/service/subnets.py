"""Subnets: CIDR (given or carved from a subnet pool), gateway, allocation pools, DNS
servers, host routes and IPv6 address modes, checked as Neutron checks them."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from runtime.common.context import Context
from runtime.network import models as m
from runtime.network.errors import BadRequest, Conflict, not_found
from runtime.network.service import addressing, ipam, networks, quotas, subnetpools
from runtime.network.service.core import (
    Network,
    allowed,
    bump,
    drop_tags,
    enforce,
    new_id,
    owner_project,
    standard_view,
    tags_for,
)
from runtime.network.settings import NetworkSettings

# Ports whose addresses go with the subnet when it is deleted.
AUTO_RELEASED_OWNERS = ("network:dhcp",)


def target(sub: m.Subnet, net: m.Network) -> dict[str, Any]:
    return {"project_id": sub.project_id, "shared": net.shared, "external": net.external,
            "network_project_id": net.project_id}


def get(s: Session, ctx: Context, subnet_id: str) -> m.Subnet:
    sub = s.get(m.Subnet, subnet_id)
    if sub is not None:
        net = s.get(m.Network, sub.network_id)
        if net is not None and allowed(ctx, "get_subnet", target(sub, net)):
            return sub
    raise not_found("subnet", subnet_id)


def visible(s: Session, ctx: Context) -> Sequence[m.Subnet]:
    query = select(m.Subnet)
    if not ctx.is_admin:
        query = query.join(m.Network, m.Network.id == m.Subnet.network_id).where(or_(
            m.Subnet.project_id == ctx.project_id, m.Network.project_id == ctx.project_id,
            m.Network.shared.is_(True)))
    return s.scalars(query).all()


def views(s: Session, _ctx: Context, subs: Sequence[m.Subnet]) -> list[dict[str, Any]]:
    tags = tags_for(s, [x.id for x in subs])
    return [view(x, tags.get(x.id, [])) for x in subs]


def view(x: m.Subnet, tags: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": x.id, "name": x.name, "description": x.description,
        "network_id": x.network_id, "ip_version": x.ip_version, "cidr": x.cidr,
        "gateway_ip": x.gateway_ip, "enable_dhcp": x.enable_dhcp,
        "ipv6_ra_mode": x.ipv6_ra_mode, "ipv6_address_mode": x.ipv6_address_mode,
        "allocation_pools": list(x.allocation_pools),
        "dns_nameservers": list(x.dns_nameservers), "host_routes": list(x.host_routes),
        "subnetpool_id": x.subnetpool_id, "service_types": list(x.service_types),
        "segment_id": None, "dns_publish_fixed_ip": False,
    }
    out.update(standard_view(x, tags))
    return out


def _check_modes(net: ipam.IPNetwork, ra: str | None, addr: str | None) -> None:
    if net.version == 4 and (ra or addr):
        raise BadRequest("Invalid input for operation: ipv6_ra_mode or ipv6_address_mode "
                         "cannot be set when enable_dhcp is set to False or ip_version is 4.",
                         type="InvalidInput")
    if ra and addr and ra != addr:
        raise BadRequest(f"Invalid input for operation: ipv6_ra_mode set to '{ra}' with "
                         f"ipv6_address_mode set to '{addr}' is not valid. If both attributes "
                         "are set, they must be the same value.", type="InvalidInput")
    if (ra or addr) in ("slaac", "dhcpv6-stateless") and net.prefixlen != 64:
        raise BadRequest(f"Invalid input for operation: Invalid CIDR {net} for IPv6 address "
                         "mode. OpenStack uses the EUI-64 address format, which requires the "
                         "prefix to be /64.", type="InvalidInput")


def _dns(settings: NetworkSettings, raw: list[str], version: int) -> list[str]:
    if len(raw) > settings.max_dns_nameservers:
        raise BadRequest(f"Unable to complete operation for subnet. The number of DNS "
                         f"nameservers exceeds the limit {settings.max_dns_nameservers}.",
                         type="DNSNameServersExhausted")
    seen: set[str] = set()
    for server in raw:
        ipam.parse_ip(server, "dns_nameservers")
        if server in seen:
            raise BadRequest(f"Invalid input for dns_nameservers. Reason: Duplicate "
                             f"nameserver '{server}'.")
        seen.add(server)
    return list(raw)


def _routes(settings: NetworkSettings, raw: list[dict[str, Any]],
            net: ipam.IPNetwork) -> list[dict[str, str]]:
    if len(raw) > settings.max_subnet_host_routes:
        raise BadRequest(f"Unable to complete operation for subnet. The number of host "
                         f"routes exceeds the limit {settings.max_subnet_host_routes}.",
                         type="HostRoutesExhausted")
    out: list[dict[str, str]] = []
    for route in raw:
        if set(route) != {"destination", "nexthop"}:
            raise BadRequest(f"Invalid input for host_routes. Reason: Validation of "
                             f"dictionary's keys failed. Expected keys: {{'destination', "
                             f"'nexthop'}} Provided keys: {set(route)}.")
        dest = ipaddress.ip_network(str(ipam.parse_cidr(route["destination"], "host_routes")))
        hop = ipam.parse_ip(route["nexthop"], "host_routes")
        if dest.version != net.version or hop.version != net.version:
            raise BadRequest(f"Invalid input for operation: Invalid route {route} for subnet "
                             f"{net}: route and subnet IP versions differ.",
                             type="InvalidInput")
        item = {"destination": str(dest), "nexthop": str(hop)}
        if item in out:
            raise BadRequest(f"Invalid input for host_routes. Reason: Duplicate hostroute "
                             f"'{item}'.")
        out.append(item)
    return out


def _check_overlap(s: Session, network_id: str, cidr: ipam.IPNetwork,
                   skip: str | None = None) -> None:
    for sid, other in s.execute(select(m.Subnet.id, m.Subnet.cidr)
                                .where(m.Subnet.network_id == network_id)):
        if sid != skip and ipam.overlaps(cidr, ipaddress.ip_network(other)):
            raise BadRequest(f"Invalid input for operation: Requested subnet with cidr: "
                             f"{cidr} for network: {network_id} overlaps with another "
                             "subnet.", type="InvalidInput")


def create(svc: Network, s: Session, ctx: Context, data: dict[str, Any]) -> m.Subnet:
    enforce(ctx, "create")
    net = networks.get(s, ctx, data["network_id"])
    enforce(ctx, "create_subnet_on", networks.target(net))
    project = owner_project(ctx, data)
    version = data["ip_version"]
    pool: m.SubnetPool | None = None
    if data["subnetpool_id"] or data["use_default_subnetpool"]:
        pool = subnetpools.for_subnet(s, ctx, data["subnetpool_id"], version)
    if data["cidr"] is not None:
        cidr = ipam.parse_cidr(data["cidr"])
        if pool is not None:
            subnetpools.check_inside(s, pool, cidr)
    elif pool is not None:
        cidr = subnetpools.allocate(s, pool, data["prefixlen"])
    else:
        raise BadRequest("Bad subnets request: a cidr must be specified in the absence of a "
                         "subnet pool.", type="BadRequest")
    if cidr.version != version:
        raise BadRequest(f"Invalid input for operation: cidr '{cidr}' does not match the "
                         f"ip_version '{version}'.", type="InvalidInput")
    if version == 4 and cidr.prefixlen == 0:
        raise BadRequest("Invalid input for operation: 0.0.0.0/0 is not allowed as a "
                         "subnet CIDR.", type="InvalidInput")
    _check_modes(cidr, data["ipv6_ra_mode"], data["ipv6_address_mode"])
    if "gateway_ip" not in data:
        gateway: ipam.IPAddress | None = ipam.first_host(cidr)
    elif data["gateway_ip"] is None:
        gateway = None
    else:
        gateway = ipam.parse_ip(data["gateway_ip"], "gateway_ip")
    if data["allocation_pools"] is not None:
        pools = ipam.parse_pools(data["allocation_pools"], cidr)
    else:
        pools = ipam.default_pools(cidr, gateway)
    if gateway is not None:
        ipam.check_gateway(gateway, cidr, pools)
    _check_overlap(s, net.id, cidr)
    quotas.check(s, svc.settings, project, "subnet")
    sub = m.Subnet(
        id=new_id(), project_id=project, name=data["name"], description=data["description"],
        network_id=net.id, subnetpool_id=pool.id if pool else None, ip_version=version,
        cidr=str(cidr), gateway_ip=str(gateway) if gateway else None,
        enable_dhcp=data["enable_dhcp"], ipv6_ra_mode=data["ipv6_ra_mode"],
        ipv6_address_mode=data["ipv6_address_mode"],
        allocation_pools=ipam.pools_json(pools),
        dns_nameservers=_dns(svc.settings, data["dns_nameservers"], version),
        host_routes=_routes(svc.settings, data["host_routes"], cidr),
        service_types=data["service_types"])
    s.add(sub)
    bump(net)
    s.flush()
    return sub


def update(svc: Network, s: Session, ctx: Context, sub: m.Subnet,
           data: dict[str, Any]) -> None:
    net = s.get(m.Network, sub.network_id)
    assert net is not None
    enforce(ctx, "manage_subnet", target(sub, net))
    cidr = ipaddress.ip_network(sub.cidr)
    pools = ipam.pools_from_json(sub.allocation_pools)
    gateway = ipaddress.ip_address(sub.gateway_ip) if sub.gateway_ip else None
    if data.get("allocation_pools") is not None:
        pools = ipam.parse_pools(data["allocation_pools"], cidr)
    if "gateway_ip" in data:
        gateway = (None if data["gateway_ip"] is None
                   else ipam.parse_ip(data["gateway_ip"], "gateway_ip"))
        if gateway is not None and str(gateway) != sub.gateway_ip:
            holder = s.scalar(select(m.Port.device_owner).join(
                m.IPAllocation, m.IPAllocation.port_id == m.Port.id).where(
                m.IPAllocation.subnet_id == sub.id,
                m.IPAllocation.ip_address == str(gateway)))
            if holder is not None and holder != "network:router_interface":
                raise Conflict(f"Current gateway ip {gateway} already in use by port. "
                               "Unable to update.", type="GatewayIpInUse")
    if gateway is not None and ("gateway_ip" in data or "allocation_pools" in data):
        ipam.check_gateway(gateway, cidr, pools)
    sub.allocation_pools = ipam.pools_json(pools)
    sub.gateway_ip = str(gateway) if gateway else None
    if "dns_nameservers" in data:
        sub.dns_nameservers = _dns(svc.settings, data["dns_nameservers"], sub.ip_version)
    if "host_routes" in data:
        sub.host_routes = _routes(svc.settings, data["host_routes"], cidr)
    for key in ("name", "description", "enable_dhcp", "service_types"):
        if key in data:
            setattr(sub, key, data[key])
    bump(sub)


def delete(s: Session, ctx: Context, sub: m.Subnet) -> None:
    net = s.get(m.Network, sub.network_id)
    assert net is not None
    enforce(ctx, "manage_subnet", target(sub, net))
    busy_owners = m.Port.device_owner.notin_(AUTO_RELEASED_OWNERS)
    if addressing.is_auto_address(sub):
        # SLAAC addresses are derived, not handed out: only a router holds on to one.
        busy_owners = m.Port.device_owner.in_(addressing.ROUTER_OWNERS)
    busy = s.scalar(select(m.IPAllocation.port_id).join(
        m.Port, m.Port.id == m.IPAllocation.port_id).where(
        m.IPAllocation.subnet_id == sub.id, busy_owners).limit(1))
    if busy is not None:
        raise Conflict(f"Unable to complete operation on subnet {sub.id}: One or more ports "
                       "have an IP allocation from this subnet.", type="SubnetInUse")
    drop_tags(s, [sub.id])
    s.delete(sub)  # the remaining allocations go with it (ON DELETE CASCADE)
    bump(net)
