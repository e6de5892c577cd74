"""``network_data.json`` of the config drive, from a server's ports, as Nova renders it
(nova.virt.netutils.get_network_metadata): one link per port, one network per fixed IP,
and the DNS servers of every subnet as services. Pure: unit-tested."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

# IPv6 address modes, as Nova names the network types they give.
_V6_TYPES = {"slaac": "ipv6_slaac", "dhcpv6-stateless": "ipv6_dhcpv6-stateless",
             "dhcpv6-stateful": "ipv6_dhcpv6-stateful"}


def _routes(subnet: Mapping[str, Any]) -> list[dict[str, str]]:
    version = int(subnet.get("ip_version", 4))
    out: list[dict[str, str]] = []
    if subnet.get("gateway_ip"):
        anywhere = "0.0.0.0" if version == 4 else "::"
        out.append({"network": anywhere, "netmask": anywhere,
                    "gateway": str(subnet["gateway_ip"])})
    for route in subnet.get("host_routes") or []:
        net = ipaddress.ip_network(route["destination"], strict=False)
        out.append({"network": str(net.network_address), "netmask": str(net.netmask),
                    "gateway": str(route["nexthop"])})
    return out


def _dns(subnet: Mapping[str, Any]) -> list[dict[str, str]]:
    return [{"type": "dns", "address": str(a)} for a in subnet.get("dns_nameservers") or []]


def _network(nic: Mapping[str, Any], subnet: Mapping[str, Any], address: str, number: int,
             link: str) -> dict[str, Any]:
    version = int(subnet.get("ip_version", 4))
    net: dict[str, Any] = {"id": f"network{number}", "link": link,
                           "network_id": nic["network_id"]}
    if version == 4 and subnet.get("enable_dhcp"):
        # A DHCP server answers on this subnet: the guest asks it, as with Nova.
        net["type"] = "ipv4_dhcp"
        return net
    mode = subnet.get("ipv6_address_mode")
    net["type"] = _V6_TYPES.get(mode or "", "ipv6") if version == 6 else "ipv4"
    net["ip_address"] = address
    net["netmask"] = str(ipaddress.ip_network(subnet["cidr"], strict=False).netmask)
    net["routes"] = _routes(subnet)
    net["services"] = _dns(subnet)
    return net


def network_data(nics: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The document for ``nics`` (the agent's port specs: ``port_id``, ``network_id``,
    ``mac_address``, ``mtu``, ``vif_type``, ``fixed_ips`` and ``subnets``)."""
    links: list[dict[str, Any]] = []
    networks: list[dict[str, Any]] = []
    services: list[dict[str, str]] = []
    for nic in nics:
        link = "tap" + str(nic["port_id"])[:11]
        links.append({"id": link, "vif_id": nic["port_id"],
                      "type": nic.get("vif_type") or "bridge", "mtu": nic.get("mtu"),
                      "ethernet_mac_address": nic["mac_address"]})
        subnets = {s["id"]: s for s in nic.get("subnets") or []}
        # IPv4 first, as Nova orders a port's subnets.
        ips = sorted(nic.get("fixed_ips") or [],
                     key=lambda ip: ipaddress.ip_address(ip["ip_address"]).version)
        for ip in ips:
            subnet = subnets.get(ip["subnet_id"])
            if subnet is None:
                continue
            networks.append(_network(nic, subnet, ip["ip_address"], len(networks), link))
            for service in _dns(subnet):
                if service not in services:
                    services.append(service)
    return {"links": links, "networks": networks, "services": services}
