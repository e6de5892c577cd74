"""Fixed IPs of ports: what a request asks for, checked against the network's subnets,
and allocated (a given address, the next free one of a subnet's pools, or the EUI-64
address of a SLAAC subnet)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.network import models as m
from runtime.network.errors import BadRequest, Conflict
from runtime.network.service import ipam
from runtime.network.states import ROUTER_PORT_OWNERS

AUTO_ADDRESS_MODES = ("slaac", "dhcpv6-stateless")
ROUTER_OWNERS = tuple(sorted(ROUTER_PORT_OWNERS))


def is_auto_address(sub: m.Subnet) -> bool:
    return sub.ip_version == 6 and (sub.ipv6_address_mode in AUTO_ADDRESS_MODES
                                    or sub.ipv6_ra_mode in AUTO_ADDRESS_MODES)


def network_subnets(s: Session, network_id: str) -> list[m.Subnet]:
    return list(s.scalars(select(m.Subnet).where(m.Subnet.network_id == network_id)
                          .order_by(m.Subnet.created_at, m.Subnet.id)))


def _used(s: Session, subnet_id: str) -> set[str]:
    return set(s.scalars(select(m.IPAllocation.ip_address)
                         .where(m.IPAllocation.subnet_id == subnet_id)))


def in_use(s: Session, subnet_id: str, ip: str) -> bool:
    return s.get(m.IPAllocation, (subnet_id, ip)) is not None


def _subnet_for_ip(subnets: Sequence[m.Subnet], ip: ipam.IPAddress,
                   network_id: str) -> m.Subnet:
    for sub in subnets:
        if ip in ipaddress.ip_network(sub.cidr):
            return sub
    raise BadRequest(f"IP address {ip} is not a valid IP for any of the subnets on the "
                     f"specified network {network_id}.", type="InvalidIpForNetwork")


def resolve(s: Session, network_id: str, requested: list[dict[str, Any]] | None,
            device_owner: str) -> list[tuple[m.Subnet, str | None]]:
    """What to allocate: (subnet, wanted address or None for any) per requested entry,
    or Neutron's default (one IPv4 subnet, one stateful IPv6 subnet and every SLAAC one)."""
    subnets = network_subnets(s, network_id)
    by_id = {x.id: x for x in subnets}
    if requested is None:
        chosen: list[tuple[m.Subnet, str | None]] = []
        v4 = [x for x in subnets if x.ip_version == 4]
        v6_stateful = [x for x in subnets if x.ip_version == 6 and not is_auto_address(x)]
        auto = [x for x in subnets if is_auto_address(x)]
        for family in (v4, v6_stateful):
            for sub in family:
                if next_address(s, sub) is not None:
                    chosen.append((sub, None))
                    break
            else:
                if family:
                    chosen.append((family[0], None))  # full: let allocation fail properly
        if device_owner not in ROUTER_OWNERS:
            chosen.extend((x, None) for x in auto)
        return chosen
    out: list[tuple[m.Subnet, str | None]] = []
    for item in requested:
        unknown = set(item) - {"subnet_id", "ip_address"}
        if unknown:
            raise BadRequest(f"Invalid input for fixed_ips. Reason: unknown keys "
                             f"{sorted(unknown)}.")
        subnet_id, address = item.get("subnet_id"), item.get("ip_address")
        if subnet_id is None and address is None:
            raise BadRequest("Invalid input for fixed_ips. Reason: each entry needs a "
                             "subnet_id or an ip_address.")
        ip = ipam.parse_ip(address, "ip_address") if address is not None else None
        if subnet_id is not None:
            found = by_id.get(subnet_id)
            if found is None:
                raise BadRequest(f"Invalid input for operation: Failed to create port on "
                                 f"network {network_id}, because fixed_ips included invalid "
                                 f"subnet {subnet_id}.", type="InvalidInput")
            sub = found
        else:
            assert ip is not None
            sub = _subnet_for_ip(subnets, ip, network_id)
        if ip is not None and not _valid_host(ip, sub):
            raise BadRequest(f"IP address {ip} is not a valid IP for the specified subnet.",
                             type="InvalidIpForSubnet")
        if any(x.id == sub.id and (w == (str(ip) if ip else None)) for x, w in out):
            raise BadRequest("Invalid input for operation: Exceeded maximum amount of fixed "
                             "ips per port or duplicate addresses requested.",
                             type="InvalidInput")
        out.append((sub, str(ip) if ip is not None else None))
    return out


def _valid_host(ip: ipam.IPAddress, sub: m.Subnet) -> bool:
    net = ipaddress.ip_network(sub.cidr)
    if ip not in net:
        return False
    if net.version == 4 and net.prefixlen < 31:
        return ip not in (net.network_address, net.broadcast_address)
    return not (net.version == 6 and ip == net.network_address and net.prefixlen < 127)


def next_address(s: Session, sub: m.Subnet) -> str | None:
    pools = ipam.pools_from_json(sub.allocation_pools)
    found = ipam.next_free(pools, _used(s, sub.id))
    return str(found) if found is not None else None


def allocate(s: Session, port: m.Port, wanted: list[tuple[m.Subnet, str | None]]) -> None:
    for sub, address in wanted:
        if address is None:
            if is_auto_address(sub) and port.device_owner not in ROUTER_OWNERS:
                address = str(ipam.eui64(ipaddress.ip_network(sub.cidr), port.mac_address))
            else:
                address = next_address(s, sub)
                if address is None:
                    raise Conflict(f"No more IP addresses available for subnet {sub.id}.",
                                   type="IpAddressGenerationFailure")
        if in_use(s, sub.id, address):
            raise Conflict(f"IP address {address} already allocated in subnet {sub.id}",
                           type="IpAddressAlreadyAllocated")
        s.add(m.IPAllocation(subnet_id=sub.id, ip_address=address, port_id=port.id,
                             network_id=port.network_id))
        s.flush()


def fixed_ips(s: Session, port_ids: Sequence[str]) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {pid: [] for pid in port_ids}
    for i in range(0, len(port_ids), 500):
        chunk = list(port_ids[i:i + 500])
        for row in s.scalars(select(m.IPAllocation).where(m.IPAllocation.port_id.in_(chunk))):
            out[row.port_id].append({"subnet_id": row.subnet_id, "ip_address": row.ip_address})
    for ips in out.values():
        ips.sort(key=lambda x: (ipaddress.ip_address(x["ip_address"]).version,
                                ipaddress.ip_address(x["ip_address"])))
    return out
