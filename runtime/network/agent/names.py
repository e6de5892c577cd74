"""Names of what the agent builds. Fixed: compute plugs guests by them (libvirt creates
``tap<port>`` in ``brq<network>``), and resync removes what carries these prefixes."""

from __future__ import annotations

BRIDGE_PREFIX = "brq"
TAP_PREFIX = "tap"
VXLAN_PREFIX = "vxlan-"
DHCP_NS_PREFIX = "qdhcp-"
ROUTER_NS_PREFIX = "qrouter-"
# Inside namespaces: the DHCP server's end, a router's interface and gateway legs.
DHCP_LEG_PREFIX = "ns-"
INTERFACE_LEG_PREFIX = "qr-"
GATEWAY_LEG_PREFIX = "qg-"
# nftables tables this agent owns (whole-table atomic replace each).
FILTER_TABLE = "haneul-sg"  # inet: stateful security groups (br_netfilter)
PORTS_TABLE = "haneul-ports"  # bridge: anti-spoofing and port marks
ROUTER_TABLE = "haneul-router"  # inet, inside each qrouter namespace: NAT


def bridge(network_id: str) -> str:
    return BRIDGE_PREFIX + network_id[:11]


def tap(port_id: str) -> str:
    return TAP_PREFIX + port_id[:11]


def vxlan(vni: int) -> str:
    return f"{VXLAN_PREFIX}{vni}"


def dhcp_ns(network_id: str) -> str:
    return DHCP_NS_PREFIX + network_id


def router_ns(router_id: str) -> str:
    return ROUTER_NS_PREFIX + router_id


def dhcp_leg(port_id: str) -> str:
    return DHCP_LEG_PREFIX + port_id[:11]


def interface_leg(port_id: str) -> str:
    return INTERFACE_LEG_PREFIX + port_id[:11]


def gateway_leg(port_id: str) -> str:
    return GATEWAY_LEG_PREFIX + port_id[:11]
