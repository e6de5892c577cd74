"""Routers: the external gateway (with SNAT), interfaces on subnets, and extra routes.
Interfaces and the gateway are ports owned by the router (``device_id``)."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.common.context import Context
from runtime.network import models as m
from runtime.network import schemas
from runtime.network.errors import BadRequest, Conflict, NotFound, not_found
from runtime.network.service import addressing, ipam, networks, ports, quotas, subnets
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

INTERFACE = "network:router_interface"
GATEWAY = "network:router_gateway"


def target(router: m.Router) -> dict[str, Any]:
    return {"project_id": router.project_id}


def get(s: Session, ctx: Context, router_id: str) -> m.Router:
    router = s.get(m.Router, router_id)
    if router is None or not allowed(ctx, "get_router", target(router)):
        raise not_found("router", router_id)
    return router


def visible(s: Session, ctx: Context) -> Sequence[m.Router]:
    query = select(m.Router)
    if not ctx.is_admin:
        query = query.where(m.Router.project_id == ctx.project_id)
    return s.scalars(query).all()


def views(s: Session, _ctx: Context, routers: Sequence[m.Router]) -> list[dict[str, Any]]:
    gw_ids = [r.gw_port_id for r in routers if r.gw_port_id]
    ips = addressing.fixed_ips(s, gw_ids)
    gw_nets = dict(s.execute(select(m.Port.id, m.Port.network_id)
                             .where(m.Port.id.in_(gw_ids))).all()) if gw_ids else {}
    tags = tags_for(s, [r.id for r in routers])
    out = []
    for r in routers:
        gateway = None
        if r.gw_port_id:
            gateway = {"network_id": gw_nets.get(r.gw_port_id), "enable_snat": r.enable_snat,
                       "external_fixed_ips": ips.get(r.gw_port_id, [])}
        view: dict[str, Any] = {
            "id": r.id, "name": r.name, "description": r.description,
            "admin_state_up": r.admin_state_up, "status": r.status,
            "external_gateway_info": gateway, "routes": list(r.routes),
            "distributed": r.distributed, "ha": r.ha, "flavor_id": None,
            "availability_zone_hints": list(r.availability_zone_hints),
            "availability_zones": list(r.availability_zone_hints) or ["nova"]}
        view.update(standard_view(r, tags.get(r.id, [])))
        out.append(view)
    return out


def interface_ports(s: Session, router_id: str) -> list[m.Port]:
    return list(s.scalars(select(m.Port).where(m.Port.device_id == router_id,
                                               m.Port.device_owner == INTERFACE)))


def _interface_subnets(s: Session, router_id: str) -> list[m.Subnet]:
    return list(s.scalars(select(m.Subnet).join(
        m.IPAllocation, m.IPAllocation.subnet_id == m.Subnet.id).join(
        m.Port, m.Port.id == m.IPAllocation.port_id).where(
        m.Port.device_id == router_id, m.Port.device_owner == INTERFACE)))


def create(svc: Network, s: Session, ctx: Context, data: dict[str, Any]) -> m.Router:
    enforce(ctx, "create")
    project = owner_project(ctx, data)
    if data["distributed"] or data["ha"]:
        enforce(ctx, "set_router_admin")
    quotas.check(s, svc.settings, project, "router")
    router = m.Router(id=new_id(), project_id=project, name=data["name"],
                      description=data["description"], admin_state_up=data["admin_state_up"],
                      distributed=data["distributed"], ha=data["ha"],
                      availability_zone_hints=data["availability_zone_hints"])
    s.add(router)
    s.flush()
    if data["external_gateway_info"]:
        _set_gateway(svc, s, ctx, router, data["external_gateway_info"])
    return router


def _set_gateway(svc: Network, s: Session, ctx: Context, router: m.Router,
                 info: dict[str, Any]) -> None:
    unknown = set(info) - {"network_id", "enable_snat", "external_fixed_ips", "qos_policy_id"}
    if unknown:
        raise BadRequest(f"Invalid input for external_gateway_info. Reason: Unrecognized "
                         f"attribute(s) '{', '.join(sorted(unknown))}'.")
    if "network_id" not in info:
        raise BadRequest("Invalid input for external_gateway_info. Reason: network_id is "
                         "required.")
    if "enable_snat" in info or "external_fixed_ips" in info:
        enforce(ctx, "set_router_admin")
    net = networks.get(s, ctx, str(info["network_id"]))
    if not net.external:
        raise BadRequest(f"Bad router request: Network {net.id} is not an external "
                         "network.", type="BadRequest")
    current = s.get(m.Port, router.gw_port_id) if router.gw_port_id else None
    fixed = info.get("external_fixed_ips")
    if fixed is not None:
        fixed = schemas.list_of(schemas.dict_)("external_fixed_ips", fixed)
    if current is not None and current.network_id == net.id:
        if fixed is not None:
            ports.readdress(s, current, fixed)
            bump(current)
    else:
        if current is not None:
            _clear_gateway(s, router)
        gw = ports.create_service_port(svc, s, net, project="", device_owner=GATEWAY,
                                       device_id=router.id, fixed_ips=fixed)
        router.gw_port_id = gw.id
    if "enable_snat" in info:
        router.enable_snat = schemas.boolean("enable_snat", info["enable_snat"])
    elif current is None or current.network_id != net.id:
        router.enable_snat = True


def _clear_gateway(s: Session, router: m.Router) -> None:
    if router.gw_port_id is None:
        return
    if s.scalar(select(m.FloatingIP.id).where(m.FloatingIP.router_id == router.id).limit(1)):
        gw = s.get(m.Port, router.gw_port_id)
        raise Conflict(f"Gateway cannot be updated for router {router.id}, since a gateway "
                       f"to external network {gw.network_id if gw else ''} is required by "
                       "one or more floating IPs.",
                       type="RouterExternalGatewayInUseByFloatingIp")
    gw = s.get(m.Port, router.gw_port_id)
    router.gw_port_id = None
    if gw is not None:
        s.delete(gw)
    s.flush()


def update(svc: Network, s: Session, ctx: Context, router: m.Router,
           data: dict[str, Any]) -> None:
    enforce(ctx, "manage_router", target(router))
    if ("distributed" in data and data["distributed"] != router.distributed) or (
            "ha" in data and data["ha"] != router.ha):
        enforce(ctx, "set_router_admin")
    if "external_gateway_info" in data:
        info = data["external_gateway_info"]
        if info:
            _set_gateway(svc, s, ctx, router, info)
        else:
            _clear_gateway(s, router)
    if "routes" in data:
        router.routes = _routes(svc, s, router, data["routes"] or [])
    for key in ("name", "description", "admin_state_up", "distributed", "ha"):
        if key in data:
            setattr(router, key, data[key])
    bump(router)


def _routes(svc: Network, s: Session, router: m.Router,
            raw: list[dict[str, Any]]) -> list[dict[str, str]]:
    if len(raw) > svc.settings.max_routes:
        raise BadRequest(f"Unable to complete operation for {router.id}. The number of "
                         f"routes exceeds the maximum {svc.settings.max_routes}.",
                         type="RoutesExhausted")
    connected = [ipaddress.ip_network(x.cidr) for x in _interface_subnets(s, router.id)]
    if router.gw_port_id:
        connected += [ipaddress.ip_network(x.cidr) for x in s.scalars(
            select(m.Subnet).join(m.IPAllocation, m.IPAllocation.subnet_id == m.Subnet.id)
            .where(m.IPAllocation.port_id == router.gw_port_id))]
    out: list[dict[str, str]] = []
    for route in raw:
        if set(route) != {"destination", "nexthop"}:
            raise BadRequest(f"Invalid input for routes. Reason: Validation of dictionary's "
                             f"keys failed. Provided keys: {sorted(route)}.")
        dest = ipam.parse_cidr(route["destination"], "routes")
        hop = ipam.parse_ip(route["nexthop"], "routes")
        if not any(hop in net for net in connected):
            raise BadRequest(f"Invalid format for routes: {route}, the nexthop does not "
                             "belong to router's subnets", type="InvalidRoutes")
        item = {"destination": str(dest), "nexthop": str(hop)}
        if item not in out:
            out.append(item)
    return out


def delete(s: Session, ctx: Context, router: m.Router) -> None:
    enforce(ctx, "manage_router", target(router))
    if interface_ports(s, router.id):
        raise Conflict(f"Router {router.id} still has ports", type="RouterInUse")
    _clear_gateway(s, router)
    drop_tags(s, [router.id])
    s.delete(router)


def _interface_info(router: m.Router, port: m.Port, subnet_ids: list[str]) -> dict[str, Any]:
    return {"id": router.id, "tenant_id": router.project_id, "project_id": router.project_id,
            "port_id": port.id, "network_id": port.network_id,
            "subnet_id": subnet_ids[0] if subnet_ids else None, "subnet_ids": subnet_ids}


def _check_no_overlap(s: Session, router: m.Router, new: list[m.Subnet]) -> None:
    for sub in new:
        cidr = ipaddress.ip_network(sub.cidr)
        for other in _interface_subnets(s, router.id):
            if other.id == sub.id:
                raise BadRequest(f"Bad router request: Router already has a port on subnet "
                                 f"{sub.id}.", type="BadRequest")
            if ipam.overlaps(cidr, ipaddress.ip_network(other.cidr)):
                raise BadRequest(f"Bad router request: Cidr {sub.cidr} of subnet {sub.id} "
                                 f"overlaps with cidr {other.cidr} of subnet {other.id}.",
                                 type="BadRequest")


def _interface_body(body: Any) -> tuple[str | None, str | None]:
    if not isinstance(body, dict):
        raise BadRequest("Bad router request: Either subnet_id or port_id must be "
                         "specified.", type="BadRequest")
    subnet_id, port_id = body.get("subnet_id"), body.get("port_id")
    for name, value in (("subnet_id", subnet_id), ("port_id", port_id)):
        if value is not None:
            schemas.uuid_(name, value)
    if subnet_id and port_id:
        raise BadRequest("Bad router request: Cannot specify both subnet-id and port-id.",
                         type="BadRequest")
    if not subnet_id and not port_id:
        raise BadRequest("Bad router request: Either subnet_id or port_id must be "
                         "specified.", type="BadRequest")
    return subnet_id, port_id


def add_interface(svc: Network, s: Session, ctx: Context, router: m.Router,
                  body: Any) -> dict[str, Any]:
    enforce(ctx, "manage_router", target(router))
    subnet_id, port_id = _interface_body(body)
    if port_id:
        port = ports.get(s, ctx, str(port_id))
        if port.device_id or port.device_owner:
            raise Conflict(f"Unable to complete operation on port {port.id} for network "
                           f"{port.network_id}. Port already has an attached device "
                           f"{port.device_id}.", type="PortInUse")
        ips = addressing.fixed_ips(s, [port.id])[port.id]
        if not ips:
            raise BadRequest("Bad router request: Router port must have at least one fixed "
                             "IP.", type="BadRequest")
        subs = [s.get(m.Subnet, ip["subnet_id"]) for ip in ips]
        _check_no_overlap(s, router, [x for x in subs if x is not None])
        port.device_id, port.device_owner = router.id, INTERFACE
        s.execute(sql_delete(m.PortSecurityGroup)
                  .where(m.PortSecurityGroup.port_id == port.id))
        bump(port)
        bump(router)
        return _interface_info(router, port, [ip["subnet_id"] for ip in ips])
    sub = subnets.get(s, ctx, str(subnet_id))
    if not sub.gateway_ip:
        raise BadRequest(f"Bad router request: Subnet {sub.id} does not have a gateway IP.",
                         type="BadRequest")
    _check_no_overlap(s, router, [sub])
    net = s.get(m.Network, sub.network_id)
    assert net is not None
    if addressing.in_use(s, sub.id, sub.gateway_ip):
        raise Conflict(f"IP address {sub.gateway_ip} already allocated in subnet {sub.id}",
                       type="IpAddressAlreadyAllocated")
    port = ports.create_service_port(
        svc, s, net, project=router.project_id, device_owner=INTERFACE, device_id=router.id,
        fixed_ips=[{"subnet_id": sub.id, "ip_address": sub.gateway_ip}])
    bump(router)
    return _interface_info(router, port, [sub.id])


def remove_interface(s: Session, ctx: Context, router: m.Router,
                     body: Any) -> dict[str, Any]:
    enforce(ctx, "manage_router", target(router))
    subnet_id, port_id = _interface_body(body)
    candidates = interface_ports(s, router.id)
    if port_id:
        port = next((p for p in candidates if p.id == port_id), None)
        if port is None:
            raise NotFound(f"Router {router.id} does not have an interface with id "
                           f"{port_id}", type="RouterInterfaceNotFound")
        ips = addressing.fixed_ips(s, [port.id])[port.id]
        if subnet_id and subnet_id not in [ip["subnet_id"] for ip in ips]:
            raise Conflict(f"Subnet {subnet_id} is not on port {port_id}.",
                           type="SubnetMismatchForPort")
        removed = [ip["subnet_id"] for ip in ips]
    else:
        found = s.scalar(select(m.IPAllocation).where(
            m.IPAllocation.subnet_id == subnet_id,
            m.IPAllocation.port_id.in_([p.id for p in candidates])))
        if found is None:
            subnets.get(s, ctx, str(subnet_id))
            raise NotFound(f"Router {router.id} has no interface on subnet {subnet_id}",
                           type="RouterInterfaceNotFoundForSubnet")
        port = next(p for p in candidates if p.id == found.port_id)
        removed = [str(subnet_id)]
    _check_floating_ips(s, router, removed)
    info = _interface_info(router, port, removed)
    remaining = [ip for ip in addressing.fixed_ips(s, [port.id])[port.id]
                 if ip["subnet_id"] not in removed]
    if remaining:
        ports.readdress(s, port, remaining)
        bump(port)
    else:
        ports.delete(s, ctx, port, internal=True)
    bump(router)
    return info


def _check_floating_ips(s: Session, router: m.Router, subnet_ids: list[str]) -> None:
    for fip in s.scalars(select(m.FloatingIP).where(m.FloatingIP.router_id == router.id)):
        alloc = s.scalar(select(m.IPAllocation).where(
            m.IPAllocation.port_id == fip.port_id,
            m.IPAllocation.ip_address == fip.fixed_ip_address))
        if alloc is not None and alloc.subnet_id in subnet_ids:
            raise Conflict(f"Cannot remove router interface: subnet {alloc.subnet_id} of "
                           f"router {router.id} is required by floating IP {fip.id}.",
                           type="RouterInterfaceInUseByFloatingIP")


def routers_for(s: Session, subnet_id: str, external_network_id: str) -> list[str]:
    """Routers with an interface on the subnet and a gateway on the external network."""
    with_interface = select(m.Port.device_id).join(
        m.IPAllocation, m.IPAllocation.port_id == m.Port.id).where(
        m.Port.device_owner == INTERFACE, m.IPAllocation.subnet_id == subnet_id)
    found: dict[str, list[str]] = defaultdict(list)
    for router_id, net_id in s.execute(select(m.Router.id, m.Port.network_id).join(
            m.Port, m.Port.id == m.Router.gw_port_id).where(m.Router.id.in_(with_interface))):
        found[net_id].append(router_id)
    return sorted(found.get(external_network_id, []))
