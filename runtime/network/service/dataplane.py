"""What network agents write back: their DHCP ports, the routers they took on, and the
status of the ports they plugged (Neutron's DHCP/L3 RPC callbacks, over HTTP)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.network import models as m
from runtime.network.errors import BadRequest, Conflict, not_found
from runtime.network.service import addressing, ports
from runtime.network.service.core import Network, bump
from runtime.network.service.hosting import (
    DHCP,
    DHCP_OWNER,
    L3,
    alive_hosts,
    dhcp_host,
    router_host,
    router_ports,
)
from runtime.network.states import Status

# A port bound to a host by its agent: a bridge port (tap or veth) filtered by nftables.
VIF_TYPE = "bridge"
VIF_DETAILS: dict[str, Any] = {"port_filter": True, "connectivity": "l2"}


def _bind(port: m.Port, host: str) -> bool:
    if port.binding_host_id == host and port.binding_vif_type == VIF_TYPE:
        return False
    port.binding_host_id = host
    port.binding_vif_type = VIF_TYPE
    port.binding_vif_details = dict(VIF_DETAILS)
    bump(port)
    return True


def dhcp_device_id(host: str, network_id: str) -> str:
    # Neutron's form: dhcp<uuid of the host>-<network id>.
    return f"dhcp{uuid.uuid5(uuid.NAMESPACE_DNS, host)}-{network_id}"


def ensure_dhcp_port(svc: Network, s: Session, host: str, network_id: str) -> str:
    """The DHCP port of a network this host serves, bound here, with an address on every
    DHCP-enabled subnet (an existing port moves here and keeps its addresses)."""
    net = s.get(m.Network, network_id)
    if net is None:
        raise not_found("network", network_id)
    if dhcp_host(s, network_id, alive_hosts(svc, s, DHCP)) != host:
        raise Conflict(f"Network {network_id} is not served by the DHCP agent of {host}.")
    port = s.scalar(select(m.Port).where(m.Port.network_id == network_id,
                                         m.Port.device_owner == DHCP_OWNER)
                    .order_by(m.Port.binding_host_id != host, m.Port.id).limit(1))
    if port is None:
        port = ports.create_service_port(svc, s, net, project=net.project_id,
                                         device_owner=DHCP_OWNER,
                                         device_id=dhcp_device_id(host, network_id),
                                         fixed_ips=[])
        port.status = Status.ACTIVE
    port.device_id = dhcp_device_id(host, network_id)
    _bind(port, host)
    have = {ip["subnet_id"] for ip in addressing.fixed_ips(s, [port.id])[port.id]}
    # SLAAC subnets too (an EUI-64 address): dnsmasq advertises a prefix only on an
    # interface with an address in it.
    missing = [sub for sub in addressing.network_subnets(s, network_id)
               if sub.enable_dhcp and sub.id not in have]
    if missing:
        addressing.allocate(s, port, [(sub, None) for sub in missing])
        bump(port)
    s.flush()
    return port.id


def claim_router(svc: Network, s: Session, host: str, router_id: str) -> list[str]:
    """Bind a router's ports to the host whose L3 agent runs it."""
    if s.get(m.Router, router_id) is None:
        raise not_found("router", router_id)
    if router_host(s, router_id, alive_hosts(svc, s, L3)) != host:
        raise Conflict(f"Router {router_id} is not hosted by the L3 agent of {host}.")
    bound = []
    for port in router_ports(s, router_id):
        _bind(port, host)
        bound.append(port.id)
    s.flush()
    return bound


def set_status(s: Session, host: str, body: Any) -> dict[str, str]:
    """``{"ports": {id: "ACTIVE"|"DOWN"}}`` for ports bound to ``host``; others are
    ignored (a port that moved away meanwhile belongs to its new host)."""
    wanted = body.get("ports") if isinstance(body, dict) else None
    if not isinstance(wanted, dict):
        raise BadRequest("Body must be {'ports': {port_id: status}}")
    done: dict[str, str] = {}
    for port_id, status in wanted.items():
        if status not in (Status.ACTIVE, Status.DOWN):
            raise BadRequest(f"Invalid port status {status}")
        port = s.get(m.Port, str(port_id))
        if port is None or port.binding_host_id != host:
            continue
        if port.status != status:
            port.status = status
            bump(port)
        done[port.id] = status
    return done
