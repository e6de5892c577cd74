"""Address arithmetic, free of the database: subnet validation, allocation pools, the
next free address, MAC addresses. Errors are raised as the API shows them."""

from __future__ import annotations

import ipaddress
import itertools
import secrets
import socket
from collections.abc import Iterable, Sequence
from typing import Any

from runtime.network.errors import BadRequest, NeutronError

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Pool = tuple[IPAddress, IPAddress]

IPV6_MODES = ("slaac", "dhcpv6-stateful", "dhcpv6-stateless")


def parse_cidr(value: Any, attr: str = "cidr") -> IPNetwork:
    """A network in canonical form; host bits set are refused, as Neutron does."""
    if not isinstance(value, str) or "/" not in value:
        raise BadRequest(f"Invalid input for {attr}. Reason: '{value}' is not a valid IP "
                         "subnet.")
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise BadRequest(f"Invalid input for {attr}. Reason: '{value}' is not a valid IP "
                         "subnet.") from None
    if str(net) != value and net.with_prefixlen != value:
        raise BadRequest(f"Invalid input for {attr}. Reason: '{value}' isn't a recognized "
                         f"IP subnet cidr, '{net}' is recommended.")
    return net


def parse_ip(value: Any, attr: str = "ip_address") -> IPAddress:
    if not isinstance(value, str):
        raise BadRequest(f"Invalid input for {attr}. Reason: '{value}' is not a valid IP "
                         "address.")
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        raise BadRequest(f"Invalid input for {attr}. Reason: '{value}' is not a valid IP "
                         "address.") from None


def first_host(net: IPNetwork) -> IPAddress:
    """The conventional gateway: the network's first usable address."""
    if net.num_addresses == 1:
        return net.network_address
    return net.network_address + 1


def usable_range(net: IPNetwork) -> Pool:
    """Addresses hosts may have: IPv4 keeps network and broadcast out (except /31,
    /32); IPv6 keeps only the subnet-router anycast address (the first) out."""
    if net.version == 4 and net.prefixlen < 31:
        return net.network_address + 1, net.broadcast_address - 1
    if net.version == 6 and net.prefixlen < 128:
        return net.network_address + 1, net.broadcast_address
    return net.network_address, net.broadcast_address


def default_pools(net: IPNetwork, gateway: IPAddress | None) -> list[Pool]:
    """The whole usable range minus the gateway, split around it."""
    low, high = usable_range(net)
    if gateway is None or not int(low) <= int(gateway) <= int(high):
        return [(low, high)]
    pools: list[Pool] = []
    if int(gateway) > int(low):
        pools.append((low, gateway - 1))
    if int(gateway) < int(high):
        pools.append((gateway + 1, high))
    return pools


def parse_pools(raw: Any, net: IPNetwork) -> list[Pool]:
    """Validated pools: inside the CIDR, start <= end, the same family, no overlaps."""
    if not isinstance(raw, list):
        raise BadRequest(f"Invalid input for allocation_pools. Reason: '{raw}' is not a "
                         "list.")
    pools: list[Pool] = []
    for item in raw:
        if not isinstance(item, dict) or set(item) != {"start", "end"}:
            raise BadRequest(f"Invalid input for allocation_pools. Reason: '{item}' must "
                             "have exactly the keys start and end.")
        start, end = parse_ip(item["start"], "start"), parse_ip(item["end"], "end")
        if start.version != net.version or end.version != net.version or int(start) > int(end):
            raise BadRequest(f"The allocation pool {item['start']}-{item['end']} spans "
                             "beyond the subnet cidr.", type="InvalidAllocationPool")
        if start not in net or end not in net:
            raise BadRequest(f"The allocation pool {start}-{end} spans beyond the subnet "
                             f"cidr {net}.", type="OutOfBoundsAllocationPool")
        pools.append((start, end))
    ordered = sorted(pools, key=lambda p: int(p[0]))
    for (s1, e1), (s2, e2) in itertools.pairwise(ordered):
        if int(s2) <= int(e1):
            raise BadRequest(f"Found overlapping allocation pools: {s1}-{e1} and {s2}-{e2}.",
                             type="OverlappingAllocationPools")
    return pools


def check_gateway(gateway: IPAddress, net: IPNetwork, pools: Sequence[Pool]) -> None:
    if gateway.version != net.version:
        raise BadRequest(f"Invalid input for operation: IP address {gateway} is not a valid "
                         f"IP for the specified subnet.", type="InvalidInput")
    for start, end in pools:
        if int(start) <= int(gateway) <= int(end):
            raise NeutronError(
                f"Gateway ip {gateway} conflicts with allocation pool {start}-{end}.",
                status=409, type="GatewayConflictWithAllocationPools")
    if net.version == 4 and net.prefixlen < 31 and gateway in (
            net.network_address, net.broadcast_address):
        raise BadRequest(f"Gateway is not valid on subnet {net}.", type="InvalidInput")


def pools_json(pools: Iterable[Pool]) -> list[dict[str, str]]:
    return [{"start": str(s), "end": str(e)} for s, e in pools]


def pools_from_json(raw: Iterable[dict[str, str]]) -> list[Pool]:
    return [(ipaddress.ip_address(p["start"]), ipaddress.ip_address(p["end"])) for p in raw]


def in_pools(ip: IPAddress, pools: Iterable[Pool]) -> bool:
    return any(int(s) <= int(ip) <= int(e) for s, e in pools)


def next_free(pools: Sequence[Pool], used: set[str]) -> IPAddress | None:
    """The lowest address of the pools nobody uses, or None when they are full.

    Walks the used addresses rather than the pools so a nearly empty /64 costs nothing.
    """
    by_version: dict[int, list[int]] = {4: [], 6: []}
    for u in used:  # as integers: parsing every address with ipaddress was most of it
        try:
            by_version[4].append(int.from_bytes(socket.inet_pton(socket.AF_INET, u), "big"))
        except OSError:
            by_version[6].append(int.from_bytes(socket.inet_pton(socket.AF_INET6, u), "big"))
    for taken in by_version.values():
        taken.sort()
    for start, end in sorted(pools, key=lambda p: int(p[0])):
        candidate = int(start)
        for ip in by_version[start.version]:
            if ip < candidate:
                continue
            if ip > candidate:
                break
            candidate = ip + 1
        if candidate <= int(end):
            return ipaddress.IPv4Address(candidate) if start.version == 4 else \
                ipaddress.IPv6Address(candidate)
    return None


def eui64(net: IPNetwork, mac: str) -> IPAddress:
    """The SLAAC address a port with ``mac`` takes on an IPv6 /64 (RFC 4291)."""
    octets = [int(x, 16) for x in mac.split(":")]
    octets[0] ^= 0x02
    iid = [*octets[:3], 255, 254, *octets[3:]]
    return net.network_address + int.from_bytes(bytes(iid), "big")


def overlaps(a: IPNetwork, b: IPNetwork) -> bool:
    return a.version == b.version and a.overlaps(b)  # type: ignore[arg-type,unused-ignore]


def random_mac(base: str) -> str:
    """``base``'s first three octets (Neutron's fa:16:3e) and three random ones."""
    prefix = base.split(":")[:3]
    return ":".join(prefix + [f"{b:02x}" for b in secrets.token_bytes(3)])


def valid_mac(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = value.split(":")
    if len(parts) != 6 or not all(len(p) == 2 for p in parts):
        return False
    try:
        octets = [int(p, 16) for p in parts]
    except ValueError:
        return False
    # Multicast and all-zero addresses cannot be a port's.
    return not (octets[0] & 1) and any(octets)
