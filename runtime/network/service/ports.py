"""Ports: MAC and fixed IP allocation, bindings (what the network agent of
``binding:host_id`` plugs), security groups and allowed address pairs."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from runtime.common.context import Context
from runtime.network import models as m
from runtime.network.errors import BadRequest, Conflict, NeutronError, not_found
from runtime.network.service import addressing, ipam, networks, quotas, security_groups
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
from runtime.network.states import floating_ip_status, port_status

# Ports a router or floating IP owns are changed through those resources only.
PROTECTED_OWNERS = ("network:router_interface", "network:router_gateway",
                    "network:floatingip", "network:router_interface_distributed",
                    "network:ha_router_replicated_interface")
# What the network agents plug: a tap on a Linux bridge, filtered by nftables.
VIF_TYPE = "bridge"


def target(port: m.Port, net: m.Network) -> dict[str, Any]:
    return {"project_id": port.project_id, "network_project_id": net.project_id}


def get(s: Session, ctx: Context, port_id: str) -> m.Port:
    port = s.get(m.Port, port_id)
    if port is not None:
        net = s.get(m.Network, port.network_id)
        if net is not None and allowed(ctx, "get_port", target(port, net)):
            return port
    raise not_found("port", port_id)


def visible(s: Session, ctx: Context) -> Sequence[m.Port]:
    query = select(m.Port)
    if not ctx.is_admin:
        owned = select(m.Network.id).where(m.Network.project_id == ctx.project_id)
        query = query.where(or_(m.Port.project_id == ctx.project_id,
                                m.Port.network_id.in_(owned)))
    return s.scalars(query).all()


def views(s: Session, ctx: Context, ports: Sequence[m.Port]) -> list[dict[str, Any]]:
    ids = [p.id for p in ports]
    ips = addressing.fixed_ips(s, ids)
    groups: dict[str, list[str]] = defaultdict(list)
    for i in range(0, len(ids), 500):
        for pid, sg in s.execute(select(m.PortSecurityGroup.port_id,
                                        m.PortSecurityGroup.security_group_id)
                                 .where(m.PortSecurityGroup.port_id.in_(ids[i:i + 500]))):
            groups[pid].append(sg)
    tags = tags_for(s, ids)
    binding = allowed(ctx, "see_port_binding", {})
    return [_view(p, ips[p.id], sorted(groups[p.id]), tags.get(p.id, []), binding)
            for p in ports]


def _view(p: m.Port, ips: list[dict[str, str]], groups: list[str], tags: list[str],
          binding: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": p.id, "name": p.name, "description": p.description,
        "network_id": p.network_id, "mac_address": p.mac_address,
        "admin_state_up": p.admin_state_up, "status": p.status, "device_id": p.device_id,
        "device_owner": p.device_owner, "fixed_ips": ips,
        "allowed_address_pairs": list(p.allowed_address_pairs),
        "extra_dhcp_opts": list(p.extra_dhcp_opts), "security_groups": groups,
        "port_security_enabled": p.port_security_enabled,
        "binding:vnic_type": p.binding_vnic_type, "ip_allocation": "immediate",
        "propagate_uplink_status": False,
    }
    if binding:
        view.update({"binding:host_id": p.binding_host_id,
                     "binding:vif_type": p.binding_vif_type,
                     "binding:vif_details": dict(p.binding_vif_details),
                     "binding:profile": dict(p.binding_profile)})
    view.update(standard_view(p, tags))
    return view


def _mac(svc: Network, s: Session, network_id: str, asked: str | None) -> str:
    if asked is not None:
        if not ipam.valid_mac(asked):
            raise BadRequest(f"Invalid input for mac_address. Reason: '{asked}' is not a "
                             "valid MAC address.")
        mac = asked.lower()
        if _mac_taken(s, network_id, mac):
            raise Conflict(f"Unable to complete operation for network {network_id}. The mac "
                           f"address {mac} is in use.", type="MacAddressInUse")
        return mac
    for _ in range(svc.settings.mac_generation_retries):
        mac = ipam.random_mac(svc.settings.base_mac)
        if not _mac_taken(s, network_id, mac):
            return mac
    raise NeutronError(f"Unable to generate unique mac on network {network_id}.",
                       status=503, type="MacAddressGenerationFailure")


def _mac_taken(s: Session, network_id: str, mac: str) -> bool:
    return s.scalar(select(m.Port.id).where(m.Port.network_id == network_id,
                                            m.Port.mac_address == mac)) is not None


def _pairs(svc: Network, raw: list[dict[str, Any]], mac: str) -> list[dict[str, str]]:
    if len(raw) > svc.settings.max_allowed_address_pair:
        raise BadRequest(f"The number of allowed address pair exceeds the maximum "
                         f"{svc.settings.max_allowed_address_pair}.",
                         type="AllowedAddressPairExhausted")
    out: list[dict[str, str]] = []
    for pair in raw:
        if "ip_address" not in pair:
            raise BadRequest("AllowedAddressPair must contain ip_address",
                             type="AllowedAddressPairsMissingIP")
        unknown = set(pair) - {"ip_address", "mac_address"}
        if unknown:
            raise BadRequest(f"Unrecognized attribute(s) '{', '.join(sorted(unknown))}'")
        address = pair["ip_address"]
        try:
            parsed = ipaddress.ip_network(address, strict=False) if isinstance(
                address, str) else None
        except ValueError:
            parsed = None
        if parsed is None:
            raise BadRequest(f"Invalid input for ip_address. Reason: '{address}' is not a "
                             "valid IP address.")
        pair_mac = pair.get("mac_address") or mac
        if not ipam.valid_mac(pair_mac):
            raise BadRequest(f"Invalid input for mac_address. Reason: '{pair_mac}' is not a "
                             "valid MAC address.")
        item = {"ip_address": address, "mac_address": pair_mac.lower()}
        if item in out:
            raise BadRequest("Request contains duplicate address pair: "
                             f"mac_address {item['mac_address']} ip_address {address}.",
                             type="DuplicateAddressPairInRequest")
        out.append(item)
    return out


def _groups(s: Session, ctx: Context, project: str, asked: list[str] | None,
            port: m.Port) -> list[str]:
    """The port's groups: the ones asked for, else the project's default group
    (ports of network services and ports without port security get none)."""
    if asked is None:
        if not port.port_security_enabled or port.device_owner.startswith("network:"):
            return []
        return [security_groups.ensure_default(s, project)]
    for sg_id in dict.fromkeys(asked):
        sg = s.get(m.SecurityGroup, sg_id)
        if sg is None or (sg.project_id != project and not ctx.is_admin):
            raise not_found("security_group", sg_id)
    return list(dict.fromkeys(asked))


def _check_security(port: m.Port, groups: list[str]) -> None:
    if not port.port_security_enabled:
        if groups:
            raise Conflict("Port has security group associated. Cannot disable port "
                           "security or ip address until security group is removed.",
                           type="PortSecurityPortHasSecurityGroup")
        if port.allowed_address_pairs:
            raise Conflict("Port Security must be enabled in order to have allowed address "
                           "pairs on a port.", type="AddressPairAndPortSecurityRequired")


def _set_groups(s: Session, port_id: str, groups: list[str]) -> None:
    s.execute(sql_delete(m.PortSecurityGroup).where(m.PortSecurityGroup.port_id == port_id))
    for sg_id in groups:
        s.add(m.PortSecurityGroup(port_id=port_id, security_group_id=sg_id))


def _bind(port: m.Port, data: dict[str, Any]) -> None:
    if "binding:host_id" in data:
        port.binding_host_id = data["binding:host_id"] or ""
    if "binding:vnic_type" in data:
        port.binding_vnic_type = data["binding:vnic_type"]
    if "binding:profile" in data:
        port.binding_profile = data["binding:profile"] or {}
    # Bound to a host: its agent plugs a bridge port with nftables filtering.
    if port.binding_host_id:
        port.binding_vif_type = VIF_TYPE
        port.binding_vif_details = {"port_filter": True, "connectivity": "l2"}
    else:
        port.binding_vif_type = "unbound"
        port.binding_vif_details = {}


def _check_owner_policy(ctx: Context, data: dict[str, Any], net: m.Network) -> None:
    if any(k in data and data[k] not in (None, "", {}) for k in
           ("binding:host_id", "binding:profile")):
        enforce(ctx, "set_port_binding")
    if (data.get("device_owner") or "").startswith("network:"):
        enforce(ctx, "set_device_owner_network", {"network_project_id": net.project_id})


def create(svc: Network, s: Session, ctx: Context, data: dict[str, Any]) -> m.Port:
    enforce(ctx, "create")
    net = networks.get(s, ctx, data["network_id"])
    enforce(ctx, "create_port_on", networks.target(net))
    project = owner_project(ctx, data)
    if data["mac_address"] is not None:
        enforce(ctx, "set_port_mac", {"network_project_id": net.project_id})
    if data["fixed_ips"] is not None and net.shared and net.project_id != ctx.project_id:
        for item in data["fixed_ips"]:
            if "ip_address" in item:
                enforce(ctx, "set_port_mac", {"network_project_id": net.project_id})
    _check_owner_policy(ctx, data, net)
    quotas.check(s, svc.settings, project, "port")
    security = data["port_security_enabled"]
    port = m.Port(
        id=new_id(), project_id=project, name=data["name"], description=data["description"],
        network_id=net.id, mac_address=_mac(svc, s, net.id, data["mac_address"]),
        admin_state_up=data["admin_state_up"], device_id=data["device_id"],
        device_owner=data["device_owner"],
        port_security_enabled=net.port_security_enabled if security is None else security,
        extra_dhcp_opts=data["extra_dhcp_opts"] or [], status=port_status(data["device_owner"]))
    port.allowed_address_pairs = _pairs(svc, data["allowed_address_pairs"] or [],
                                        port.mac_address)
    _bind(port, data)
    groups = _groups(s, ctx, project, data["security_groups"], port)
    _check_security(port, groups)
    s.add(port)
    s.flush()
    addressing.allocate(s, port, addressing.resolve(s, net.id, data["fixed_ips"],
                                                    port.device_owner))
    _set_groups(s, port.id, groups)
    s.flush()
    return port


def update(svc: Network, s: Session, ctx: Context, port: m.Port,
           data: dict[str, Any]) -> None:
    net = s.get(m.Network, port.network_id)
    assert net is not None
    enforce(ctx, "manage_port", target(port, net))
    _check_owner_policy(ctx, data, net)
    if "mac_address" in data and data["mac_address"] != port.mac_address:
        enforce(ctx, "set_port_binding")
        if port.binding_vif_type not in ("unbound", "binding_failed"):
            raise Conflict(f"Port {port.id} is bound: its MAC address cannot change.",
                           type="PortBound")
        port.mac_address = _mac(svc, s, net.id, data["mac_address"])
    if "fixed_ips" in data and data["fixed_ips"] is not None:
        readdress(s, port, data["fixed_ips"])
    for key in ("name", "description", "admin_state_up", "device_id", "device_owner"):
        if key in data:
            setattr(port, key, data[key])
    if data.get("port_security_enabled") is not None:
        port.port_security_enabled = data["port_security_enabled"]
    if "extra_dhcp_opts" in data:
        port.extra_dhcp_opts = data["extra_dhcp_opts"] or []
    if "allowed_address_pairs" in data:
        port.allowed_address_pairs = _pairs(svc, data["allowed_address_pairs"] or [],
                                            port.mac_address)
    _bind(port, data)
    current = list(s.scalars(select(m.PortSecurityGroup.security_group_id)
                             .where(m.PortSecurityGroup.port_id == port.id)))
    groups = current
    if "security_groups" in data:
        groups = _groups(s, ctx, port.project_id, data["security_groups"] or [], port)
        _set_groups(s, port.id, groups)
    _check_security(port, groups)
    bump(port)


def readdress(s: Session, port: m.Port, requested: list[dict[str, Any]]) -> None:
    """Keep the addresses still asked for, release the others, allocate the new ones."""
    current = {(a.subnet_id, a.ip_address): a for a in s.scalars(
        select(m.IPAllocation).where(m.IPAllocation.port_id == port.id))}
    wanted = addressing.resolve(s, port.network_id, requested, port.device_owner)
    explicit = {(sub.id, address) for sub, address in wanted if address is not None}
    keep: set[tuple[str, str]] = set()
    new: list[tuple[m.Subnet, str | None]] = []
    for sub, address in wanted:
        if address is not None:
            if (sub.id, address) in current:
                keep.add((sub.id, address))
            else:
                new.append((sub, address))
            continue
        # "Any address on this subnet": an address the port already has there will do.
        match = next((k for k in current if k[0] == sub.id and k not in keep
                      and k not in explicit), None)
        if match is not None:
            keep.add(match)
        else:
            new.append((sub, None))
    for key, row in current.items():
        if key not in keep:
            s.delete(row)
    s.flush()
    addressing.allocate(s, port, new)


def delete(s: Session, ctx: Context, port: m.Port, *, internal: bool = False) -> None:
    net = s.get(m.Network, port.network_id)
    assert net is not None
    if not internal:
        enforce(ctx, "manage_port", target(port, net))
        if port.device_owner in PROTECTED_OWNERS:
            raise Conflict(f"Port {port.id} cannot be deleted directly via the port API: has "
                           f"device owner {port.device_owner}.", type="L3PortInUse")
    for fip in s.scalars(select(m.FloatingIP).where(m.FloatingIP.port_id == port.id)):
        fip.port_id = fip.fixed_ip_address = fip.router_id = None
        fip.status = floating_ip_status(False)
        bump(fip)
    drop_tags(s, [port.id])
    s.delete(port)
    s.flush()


def create_service_port(svc: Network, s: Session, net: m.Network, *, project: str,
                        device_owner: str, device_id: str,
                        fixed_ips: list[dict[str, Any]] | None) -> m.Port:
    """A port a router or floating IP needs, made on their behalf (no policy, no quota,
    no security groups: Neutron creates these ports itself)."""
    port = m.Port(id=new_id(), project_id=project, network_id=net.id,
                  mac_address=_mac(svc, s, net.id, None), device_id=device_id,
                  device_owner=device_owner, port_security_enabled=False,
                  status=port_status(device_owner), binding_vif_type="unbound")
    s.add(port)
    s.flush()
    addressing.allocate(s, port, addressing.resolve(s, net.id, fixed_ips, device_owner))
    return port
