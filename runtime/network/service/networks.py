"""Networks: segmentation (flat, VLAN, VXLAN with a VNI from the tenant range), MTU,
sharing and the external flag."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from runtime.common.context import Context
from runtime.network import models as m
from runtime.network.errors import BadRequest, Conflict, NeutronError, not_found
from runtime.network.service import quotas
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
from runtime.network.states import Status

PROVIDER = ("provider:network_type", "provider:physical_network", "provider:segmentation_id")
VXLAN_OVERHEAD = 50
SEGMENTED = ("flat", "vlan", "vxlan")
CLAIM_ATTEMPTS = 5
VNI_MAX = 2**24 - 1
# Ports that do not keep a network "in use": the DHCP server's, and floating IPs'
# (an external network's floating IPs are deleted with it).
AUTO_DELETED_OWNERS = ("network:dhcp", "network:floatingip")


def target(net: m.Network) -> dict[str, Any]:
    return {"project_id": net.project_id, "shared": net.shared, "external": net.external}


def get(s: Session, ctx: Context, network_id: str) -> m.Network:
    """The network if the caller may see it; else 404 (existence is not disclosed)."""
    net = s.get(m.Network, network_id)
    if net is None or not allowed(ctx, "get_network", target(net)):
        raise not_found("network", network_id)
    return net


def visible(s: Session, ctx: Context) -> Sequence[m.Network]:
    query = select(m.Network)
    if not ctx.is_admin:
        query = query.where(or_(m.Network.project_id == ctx.project_id,
                                m.Network.shared.is_(True), m.Network.external.is_(True)))
    return s.scalars(query).all()


def views(s: Session, ctx: Context, nets: Sequence[m.Network]) -> list[dict[str, Any]]:
    ids = [n.id for n in nets]
    subnets: dict[str, list[str]] = defaultdict(list)
    if ids:
        for sid, nid in s.execute(select(m.Subnet.id, m.Subnet.network_id)
                                  .where(m.Subnet.network_id.in_(ids))):
            subnets[nid].append(sid)
    tags = tags_for(s, ids)
    show_provider = allowed(ctx, "see_provider", {})
    return [_view(n, subnets[n.id], tags.get(n.id, []), show_provider) for n in nets]


def _view(n: m.Network, subnets: list[str], tags: list[str],
          provider: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": n.id, "name": n.name, "description": n.description,
        "admin_state_up": n.admin_state_up, "status": n.status, "subnets": sorted(subnets),
        "shared": n.shared, "router:external": n.external, "mtu": n.mtu,
        "port_security_enabled": n.port_security_enabled,
        "availability_zone_hints": list(n.availability_zone_hints),
        "availability_zones": list(n.availability_zone_hints) or ["nova"],
        "ipv4_address_scope": None, "ipv6_address_scope": None, "l2_adjacency": True,
        "is_default": n.is_default, "dns_domain": n.dns_domain,
    }
    view.update(standard_view(n, tags))
    if provider:
        view.update({"provider:network_type": n.network_type,
                     "provider:physical_network": n.physical_network,
                     "provider:segmentation_id": n.segmentation_id})
    return view


def _segment(s: Session, settings: NetworkSettings, data: dict[str, Any],
             ) -> tuple[str, str | None, int | None]:
    """The network's segment: the one an admin asked for, checked to be free, or the
    tenant type's next free one."""
    net_type = data.get("provider:network_type")
    physnet = data.get("provider:physical_network")
    seg_id = data.get("provider:segmentation_id")
    if net_type is None:
        if physnet is not None or seg_id is not None:
            raise BadRequest("Invalid input for operation: provider:network_type required.",
                             type="InvalidInput")
        net_type = settings.tenant_network_type
        if net_type == "vlan":
            physnet = settings.vlan_ranges.split(":")[0] if settings.vlan_ranges else None
    if net_type == "flat":
        if not physnet:
            raise BadRequest("Invalid input for operation: physical_network required for "
                             "flat provider network.", type="InvalidInput")
        if seg_id is not None:
            raise BadRequest("Invalid input for operation: segmentation_id specified for "
                             "flat provider network.", type="InvalidInput")
        if "*" not in settings.flat_networks and physnet not in settings.flat_networks:
            raise BadRequest(f"Invalid input for operation: physical_network '{physnet}' "
                             "unknown for flat provider network.", type="InvalidInput")
        if _taken(s, "flat", physnet, None):
            raise Conflict(f"Unable to create the flat network. Physical network {physnet} "
                           "is in use.", type="FlatNetworkInUse")
        return "flat", physnet, None
    if net_type == "vlan":
        if not physnet:
            raise BadRequest("Invalid input for operation: physical_network required for "
                             "VLAN provider network.", type="InvalidInput")
        if seg_id is None:
            seg_id = _free(s, "vlan", physnet, *_vlan_range(settings, physnet))
        elif not 1 <= seg_id <= 4094:
            raise BadRequest("Invalid input for operation: segmentation_id out of range "
                             "(1 through 4094).", type="InvalidInput")
        elif _taken(s, "vlan", physnet, seg_id):
            raise Conflict(f"Unable to create the network. The VLAN {seg_id} on physical "
                           f"network {physnet} is in use.", type="VlanIdInUse")
        return "vlan", physnet, seg_id
    if net_type == "vxlan":
        if physnet:
            raise BadRequest("Invalid input for operation: provider:physical_network "
                             "specified for vxlan network.", type="InvalidInput")
        if seg_id is None:
            seg_id = _free(s, "vxlan", None, *settings.vni_range())
        elif not 1 <= seg_id <= VNI_MAX:
            raise BadRequest(f"Invalid input for operation: segmentation_id out of range "
                             f"(1 through {VNI_MAX}).", type="InvalidInput")
        elif _taken(s, "vxlan", None, seg_id):
            raise Conflict(f"Unable to create the network. The tunnel ID {seg_id} is in "
                           "use.", type="TunnelIdInUse")
        return "vxlan", None, seg_id
    if physnet is not None or seg_id is not None:
        raise BadRequest(f"Invalid input for operation: {net_type} networks take no "
                         "physical network or segmentation id.", type="InvalidInput")
    return str(net_type), None, None


def _vlan_range(settings: NetworkSettings, physnet: str) -> tuple[int, int]:
    if settings.vlan_ranges:
        name, low, high = settings.vlan_ranges.split(":")
        if name == physnet:
            return int(low), int(high)
    raise _exhausted()


def _exhausted() -> NeutronError:
    return NeutronError("Unable to create the network. No tenant network is available for "
                        "allocation.", status=503, type="NoNetworkAvailable")


def _taken(s: Session, net_type: str, physnet: str | None, seg_id: int | None) -> bool:
    return s.get(m.SegmentAllocation, (net_type, physnet or "", seg_id or 0)) is not None


def _free(s: Session, net_type: str, physnet: str | None, low: int, high: int) -> int:
    """The lowest segmentation id of ``low..high`` no network of the type uses."""
    used = set(s.scalars(select(m.SegmentAllocation.segmentation_id).where(
        m.SegmentAllocation.network_type == net_type,
        m.SegmentAllocation.physical_network == (physnet or ""),
        m.SegmentAllocation.segmentation_id.between(low, high))))
    for candidate in range(low, high + 1):
        if candidate not in used:
            return candidate
    raise _exhausted()


def _claim(s: Session, net: m.Network) -> bool:
    """Record the network's segment; False if another transaction took it first."""
    if net.network_type not in SEGMENTED:
        return True
    try:
        with s.begin_nested():
            s.add(m.SegmentAllocation(network_type=net.network_type,
                                      physical_network=net.physical_network or "",
                                      segmentation_id=net.segmentation_id or 0,
                                      network_id=net.id))
    except IntegrityError:
        return False
    return True


def _max_mtu(settings: NetworkSettings, net_type: str) -> int:
    return settings.global_physnet_mtu - (VXLAN_OVERHEAD if net_type == "vxlan" else 0)


def create(svc: Network, s: Session, ctx: Context, data: dict[str, Any]) -> m.Network:
    enforce(ctx, "create")
    project = owner_project(ctx, data)
    if any(data.get(k) is not None for k in PROVIDER):
        enforce(ctx, "set_provider")
    if data["shared"]:
        enforce(ctx, "set_shared")
    if data["router:external"]:
        enforce(ctx, "set_external")
    if data["is_default"]:
        enforce(ctx, "set_external")  # Neutron: create_network:is_default is admin-only
        _check_single_default(s, None)
    quotas.check(s, svc.settings, project, "network")
    net_type, physnet, seg_id = _segment(s, svc.settings, data)
    mtu_max = _max_mtu(svc.settings, net_type)
    mtu = data["mtu"] if data["mtu"] is not None else mtu_max
    if mtu > mtu_max:
        raise BadRequest(f"Requested MTU is too big, maximum is {mtu_max}",
                         type="InvalidInput")
    net = m.Network(
        id=new_id(), project_id=project, name=data["name"], description=data["description"],
        admin_state_up=data["admin_state_up"], shared=data["shared"],
        external=data["router:external"], mtu=mtu,
        port_security_enabled=data["port_security_enabled"], network_type=net_type,
        physical_network=physnet, segmentation_id=seg_id,
        availability_zone_hints=data["availability_zone_hints"],
        dns_domain=data["dns_domain"], status=Status.ACTIVE,
        # As in Neutron, only an external network keeps the flag.
        is_default=data["is_default"] and data["router:external"])
    s.add(net)
    s.flush()
    for _ in range(CLAIM_ATTEMPTS):
        if _claim(s, net):
            return net
        if any(data.get(k) is not None for k in PROVIDER[2:]) or net_type == "flat":
            break  # a segment asked for by name: taken meanwhile
        # Lost a race for an automatically chosen id: take the next free one.
        net.segmentation_id = _segment(s, svc.settings, data)[2]
    raise Conflict("Unable to create the network. The segment asked for is in use.",
                   type="SegmentInUse")


def update(svc: Network, s: Session, ctx: Context, net: m.Network,
           data: dict[str, Any]) -> None:
    enforce(ctx, "manage_network", target(net))
    current = (net.network_type, net.physical_network, net.segmentation_id)
    for key, now in zip(PROVIDER, current, strict=True):
        if key in data:
            enforce(ctx, "set_provider")
            if data[key] != now:
                raise BadRequest("Invalid input for operation: Plugin does not support "
                                 "updating provider attributes.", type="InvalidInput")
    if "shared" in data and data["shared"] != net.shared:
        enforce(ctx, "set_shared")
        if not data["shared"] and _foreign_ports(s, net):
            raise Conflict(f"Unable to reconfigure sharing settings for network {net.id}. "
                           "Multiple tenants are using it.", type="InvalidSharedSetting")
        net.shared = data["shared"]
    if "router:external" in data and data["router:external"] != net.external:
        enforce(ctx, "set_external")
        if not data["router:external"] and s.scalar(
                select(m.Port.id).where(m.Port.network_id == net.id, m.Port.device_owner.in_(
                    ("network:router_gateway", "network:floatingip"))).limit(1)):
            raise Conflict(f"Unable to complete operation on network {net.id}. There are "
                           "one or more ports still in use on the network.",
                           type="NetworkInUse")
        net.external = data["router:external"]
    if "is_default" in data:
        enforce(ctx, "set_external")  # Neutron: update_network:is_default is admin-only
        if data["is_default"]:
            _check_single_default(s, net.id)
        net.is_default = data["is_default"]
    # Neutron keeps is_default with the external-network record: it goes with it, and a
    # network that is not external never holds it.
    net.is_default = net.is_default and net.external
    if "mtu" in data and data["mtu"] is not None:
        mtu_max = _max_mtu(svc.settings, net.network_type)
        if data["mtu"] > mtu_max:
            raise BadRequest(f"Requested MTU is too big, maximum is {mtu_max}",
                             type="InvalidInput")
        net.mtu = data["mtu"]
    for key in ("name", "description", "admin_state_up", "port_security_enabled",
                "dns_domain"):
        if key in data:
            setattr(net, key, data[key])
    bump(net)


def _check_single_default(s: Session, network_id: str | None) -> None:
    """At most one default external network per deployment (409, as Neutron)."""
    other = s.scalar(select(m.Network.id).where(m.Network.is_default.is_(True),
                                                m.Network.id != (network_id or "")).limit(1))
    if other is not None:
        raise Conflict(f"A default external network already exists: {other}.",
                       type="DefaultExternalNetworkExists")


def default_external(s: Session) -> m.Network | None:
    """The default external network, if the deployment has one."""
    return s.scalar(select(m.Network).where(m.Network.is_default.is_(True),
                                            m.Network.external.is_(True))
                    .order_by(m.Network.created_at, m.Network.id).limit(1))


def _foreign_ports(s: Session, net: m.Network) -> bool:
    """Whether another project has ports on the network (service ports do not count)."""
    return s.scalar(select(m.Port.id).where(
        m.Port.network_id == net.id, m.Port.project_id != net.project_id,
        m.Port.project_id != "", m.Port.device_owner.notin_(AUTO_DELETED_OWNERS))
        .limit(1)) is not None


def delete(s: Session, ctx: Context, net: m.Network) -> None:
    enforce(ctx, "manage_network", target(net))
    busy = s.scalar(select(m.Port.id).where(m.Port.network_id == net.id,
                                            m.Port.device_owner.notin_(AUTO_DELETED_OWNERS))
                    .limit(1))
    if busy is not None:
        raise Conflict(f"Unable to complete operation on network {net.id}. There are one or "
                       "more ports still in use on the network.", type="NetworkInUse")
    for fip in s.scalars(select(m.FloatingIP)
                         .where(m.FloatingIP.floating_network_id == net.id)):
        s.delete(fip)
    s.flush()
    subnets = list(s.scalars(select(m.Subnet.id).where(m.Subnet.network_id == net.id)))
    ports = list(s.scalars(select(m.Port.id).where(m.Port.network_id == net.id)))
    drop_tags(s, [net.id, *subnets, *ports])
    s.delete(net)
