"""Floating IPs: an address on an external network, NATed to a port's fixed IP by the
router that joins the port's subnet to that network."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.common.context import Context
from runtime.network import models as m
from runtime.network.errors import BadRequest, Conflict, NotFound, not_found
from runtime.network.service import addressing, networks, ports, quotas, routers
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
from runtime.network.states import floating_ip_status

OWNER = "network:floatingip"


def target(fip: m.FloatingIP) -> dict[str, Any]:
    return {"project_id": fip.project_id}


def get(s: Session, ctx: Context, fip_id: str) -> m.FloatingIP:
    fip = s.get(m.FloatingIP, fip_id)
    if fip is None or not allowed(ctx, "get_floatingip", target(fip)):
        raise not_found("floatingip", fip_id)
    return fip


def visible(s: Session, ctx: Context) -> Sequence[m.FloatingIP]:
    query = select(m.FloatingIP)
    if not ctx.is_admin:
        query = query.where(m.FloatingIP.project_id == ctx.project_id)
    return s.scalars(query).all()


def views(s: Session, _ctx: Context, fips: Sequence[m.FloatingIP]) -> list[dict[str, Any]]:
    tags = tags_for(s, [f.id for f in fips])
    out = []
    for f in fips:
        view: dict[str, Any] = {
            "id": f.id, "description": f.description,
            "floating_network_id": f.floating_network_id,
            "floating_ip_address": f.floating_ip_address, "port_id": f.port_id,
            "fixed_ip_address": f.fixed_ip_address, "router_id": f.router_id,
            "status": f.status, "port_forwardings": [], "qos_policy_id": None}
        view.update(standard_view(f, tags.get(f.id, [])))
        out.append(view)
    return out


def create(svc: Network, s: Session, ctx: Context, data: dict[str, Any]) -> m.FloatingIP:
    enforce(ctx, "create")
    project = owner_project(ctx, data)
    net = networks.get(s, ctx, data["floating_network_id"])
    if not net.external:
        raise BadRequest(f"Bad floatingip request: Network {net.id} is not a valid external "
                         "network.", type="BadRequest")
    fixed: dict[str, Any] = {}
    if data["subnet_id"] is not None:
        fixed["subnet_id"] = data["subnet_id"]
    if data["floating_ip_address"] is not None:
        enforce(ctx, "set_floating_ip_address")
        fixed["ip_address"] = data["floating_ip_address"]
    if not fixed:
        candidates = [x for x in addressing.network_subnets(s, net.id) if x.ip_version == 4]
        if not candidates:
            raise BadRequest(f"Bad floatingip request: Network {net.id} has no IPv4 subnet "
                             "to allocate from.", type="BadRequest")
        free = next((x for x in candidates if addressing.next_address(s, x)), None)
        if free is None:
            raise Conflict(f"No more IP addresses available on network {net.id}.",
                           type="IpAddressGenerationFailure")
        fixed["subnet_id"] = free.id
    quotas.check(s, svc.settings, project, "floatingip")
    fip_id = new_id()
    port = ports.create_service_port(svc, s, net, project="", device_owner=OWNER,
                                     device_id=fip_id, fixed_ips=[fixed])
    ips = addressing.fixed_ips(s, [port.id])[port.id]
    fip = m.FloatingIP(id=fip_id, project_id=project, description=data["description"],
                       floating_network_id=net.id, floating_port_id=port.id,
                       floating_ip_address=ips[0]["ip_address"])
    s.add(fip)
    s.flush()
    if data["port_id"] is not None:
        _associate(s, ctx, fip, data["port_id"], data["fixed_ip_address"])
    return fip


def _associate(s: Session, ctx: Context, fip: m.FloatingIP, port_id: str,
               fixed_ip: str | None) -> None:
    port = ports.get(s, ctx, port_id)
    if port.project_id != fip.project_id and not ctx.is_admin:
        raise BadRequest(f"Cannot create floating IP and bind it to Port {port.id}, since "
                         "that port is owned by a different tenant.", type="BadRequest")
    ips = addressing.fixed_ips(s, [port.id])[port.id]
    v4 = [ip for ip in ips if ipaddress.ip_address(ip["ip_address"]).version == 4]
    if fixed_ip is not None:
        chosen = next((ip for ip in ips if ip["ip_address"] == fixed_ip), None)
        if chosen is None:
            raise BadRequest(f"Bad floatingip request: Port {port.id} does not have fixed ip "
                             f"{fixed_ip}.", type="BadRequest")
        if ipaddress.ip_address(fixed_ip).version != 4:
            raise BadRequest(f"Bad floatingip request: Cannot process floating IP "
                             f"association with {fixed_ip}, since that is not an IPv4 "
                             "address.", type="BadRequest")
    elif not v4:
        raise BadRequest(f"Bad floatingip request: Port {port.id} does not have any IPv4 "
                         "address.", type="BadRequest")
    elif len(v4) > 1:
        raise BadRequest(f"Bad floatingip request: Port {port.id} has multiple fixed IPv4 "
                         "addresses. Must provide a specific IPv4 address when assigning a "
                         "floating IP.", type="BadRequest")
    else:
        chosen = v4[0]
    found = routers.routers_for(s, chosen["subnet_id"], fip.floating_network_id)
    if not found:
        raise NotFound(f"External network {fip.floating_network_id} is not reachable from "
                       f"subnet {chosen['subnet_id']}.  Therefore, cannot associate Port "
                       f"{port.id} with a Floating IP.",
                       type="ExternalGatewayForFloatingIPNotFound")
    other = s.scalar(select(m.FloatingIP).where(
        m.FloatingIP.port_id == port.id, m.FloatingIP.fixed_ip_address == chosen["ip_address"],
        m.FloatingIP.floating_network_id == fip.floating_network_id,
        m.FloatingIP.id != fip.id))
    if other is not None:
        raise Conflict(f"Cannot associate floating IP {fip.floating_ip_address} ({fip.id}) "
                       f"with port {port.id} using fixed IP {chosen['ip_address']}, as that "
                       f"fixed IP already has a floating IP on external network "
                       f"{fip.floating_network_id}.", type="FloatingIPPortAlreadyAssociated")
    fip.port_id, fip.fixed_ip_address, fip.router_id = (port.id, chosen["ip_address"],
                                                       found[0])
    fip.status = floating_ip_status(True)


def update(s: Session, ctx: Context, fip: m.FloatingIP, data: dict[str, Any]) -> None:
    enforce(ctx, "manage_floatingip", target(fip))
    if "port_id" in data:
        if data["port_id"] is None:
            fip.port_id = fip.fixed_ip_address = fip.router_id = None
            fip.status = floating_ip_status(False)
        else:
            _associate(s, ctx, fip, data["port_id"], data.get("fixed_ip_address"))
    elif data.get("fixed_ip_address") is not None:
        if fip.port_id is None:
            raise BadRequest("Bad floatingip request: fixed_ip_address cannot be specified "
                             "without a port_id.", type="BadRequest")
        _associate(s, ctx, fip, fip.port_id, data["fixed_ip_address"])
    if "description" in data:
        fip.description = data["description"]
    bump(fip)


def delete(s: Session, ctx: Context, fip: m.FloatingIP) -> None:
    enforce(ctx, "manage_floatingip", target(fip))
    port = s.get(m.Port, fip.floating_port_id)
    drop_tags(s, [fip.id])
    s.delete(fip)
    s.flush()
    if port is not None:
        s.delete(port)
