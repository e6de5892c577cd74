"""Security groups and anti-spoofing as nftables rulesets (pure rendering).

This kernel has no bridge-family conntrack (CONFIG_NF_CONNTRACK_BRIDGE), so the work is
split over two tables of the host's root namespace, replaced together in one ``nft -f``
transaction:

- ``bridge haneul-ports``: per port, keyed by its bridge device (``tap…``): the port
  sends only from its MAC and addresses (and allowed address pairs), never as a DHCP
  server or IPv6 router; and every packet is marked with the number of the port it came
  from (high 16 bits) and the port it goes to (low 16 bits).
- ``inet haneul-sg``: bridged IP traffic, seen here through br_netfilter, with
  connection tracking: a conntrack zone per bridge (identical addresses on two networks
  never share a connection), then the egress rules of the sending port and the ingress
  rules of the receiving port, chosen by the marks. Ingress is denied unless a rule
  allows it; replies of allowed connections pass.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from runtime.network.agent import names, rule_sets
from runtime.network.agent.plan import LocalPort
from runtime.network.agent.rule_sets import Box

MAX_PORTS = 0xFFFF
# IPv6 neighbour discovery and MLD a port needs both ways; router adverts only inbound.
ND_OUT = "nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, " \
    "mld2-listener-report"
ND_IN = "nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-query"
ICMP6_NAMES = ("icmpv6", "ipv6-icmp")


def link_local(mac: str) -> str:
    """The EUI-64 link-local address a port derives from its MAC."""
    octets = [int(x, 16) for x in mac.split(":")]
    octets[0] ^= 0x02
    eui = [*octets[:3], 255, 254, *octets[3:]]
    words = [(eui[i] << 8) | eui[i + 1] for i in range(0, 8, 2)]
    return str(ipaddress.IPv6Address("fe80::" + ":".join(f"{w:x}" for w in words)))


def _set(items: Iterable[str]) -> str:
    values = sorted(set(items))
    return "{ " + ", ".join(values) + " }"


def _q(name: str) -> str:
    return f'"{name}"'


def numbered(ports: list[LocalPort]) -> list[tuple[int, LocalPort]]:
    """Filtered ports with their mark numbers (1..65535), in a stable order."""
    chosen = sorted((p for p in ports if p.port_security and p.admin_up),
                    key=lambda p: p.device)
    if len(chosen) > MAX_PORTS:
        raise ValueError(f"more than {MAX_PORTS} filtered ports on one host")
    return list(enumerate(chosen, start=1))


def _spoof_chain(n: int, port: LocalPort) -> list[str]:
    by_mac: dict[str, dict[int, set[str]]] = {}
    own = by_mac.setdefault(port.mac, {4: set(), 6: set()})
    for a in port.addresses:
        own[a.version].add(a.ip)
    own[6].add(link_local(port.mac))
    for ip, mac in port.allowed_pairs:
        entry = by_mac.setdefault(mac, {4: set(), 6: set()})
        net = ipaddress.ip_network(ip, strict=False)
        entry[net.version].add(str(net) if net.num_addresses > 1 else str(net.network_address))
        if mac != port.mac:
            entry[6].add(link_local(mac))
    lines = [f"chain spoof-{n} {{",
             f"ether saddr != {_set(by_mac)} drop",
             # A guest is no DHCP server and no IPv6 router.
             "udp sport 67 drop", "udp sport 547 drop", "icmpv6 type nd-router-advert drop",
             "ether type ip ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 "
             "udp dport 67 return"]
    for mac, ips in sorted(by_mac.items()):
        if ips[4]:
            lines.append(f"ether saddr {mac} ip saddr {_set(ips[4])} return")
            lines.append(f"ether saddr {mac} arp saddr ip {_set(ips[4] | {'0.0.0.0'})} return")
        lines.append(f"ether saddr {mac} ip6 saddr {_set(ips[6])} return")
    lines += ["ip6 saddr :: icmpv6 type { nd-neighbor-solicit, mld2-listener-report } return",
              "drop", "}"]
    return lines


def _rule(rule: dict[str, Any], ingress: bool, remote_groups: dict[str, list[str]],
          verdict: str) -> str | None:
    """One rule as nft, or None when it can match nothing (an empty remote group)."""
    v6 = rule["ethertype"] == "IPv6"
    family, ip = ("ipv6", "ip6") if v6 else ("ipv4", "ip")
    parts = [f"meta nfproto {family}"]
    side = "saddr" if ingress else "daddr"
    if rule.get("remote_ip_prefix"):
        net = ipaddress.ip_network(rule["remote_ip_prefix"], strict=False)
        if net.version != (6 if v6 else 4):
            return None
        if net.prefixlen:
            parts.append(f"{ip} {side} {net}")
    elif rule.get("remote_group_id"):
        members = [m for m in remote_groups.get(rule["remote_group_id"], [])
                   if ipaddress.ip_network(m, strict=False).version == (6 if v6 else 4)]
        if not members:
            return None
        parts.append(f"{ip} {side} {_set(members)}")
    proto = rule.get("protocol")
    low, high = rule.get("port_range_min"), rule.get("port_range_max")
    if proto is not None:
        proto = str(proto).lower()
        if proto in ("icmp", "1", "58", *ICMP6_NAMES):
            name = "icmpv6" if v6 else "icmp"
            parts.append(f"meta l4proto {'ipv6-icmp' if v6 else 'icmp'}")
            if low is not None:
                parts.append(f"{name} type {int(low)}")
                if high is not None:
                    parts.append(f"{name} code {int(high)}")
        elif proto in ("tcp", "udp", "sctp", "6", "17", "132"):
            name = {"6": "tcp", "17": "udp", "132": "sctp"}.get(proto, proto)
            parts.append(f"meta l4proto {name}")
            if low is not None:
                span = str(int(low)) if high in (None, low) else f"{int(low)}-{int(high)}"
                parts.append(f"{name} dport {span}")
        elif proto.isdigit():
            parts.append(f"meta l4proto {int(proto)}")
        else:
            parts.append(f"meta l4proto {proto}")
    return " ".join([*parts, verdict])


def _group_chains(n: int, port: LocalPort, groups: dict[str, Any],
                  remote_groups: dict[str, list[str]]) -> list[str]:
    rules = [r for sg in port.security_groups for r in groups.get(sg, {}).get("rules", [])]
    stateful = all(groups.get(sg, {}).get("stateful", True) for sg in port.security_groups)
    ct_in = ["ct state established,related accept", "ct state invalid drop"] if stateful \
        else []
    ct_out = ["ct state established,related return", "ct state invalid drop"] if stateful \
        else []
    egress = [f"chain egress-{n} {{", *ct_out,
              "udp sport 68 udp dport 67 return", "udp sport 546 udp dport 547 return",
              f"icmpv6 type {{ {ND_OUT} }} return"]
    ingress = [f"chain ingress-{n} {{", *ct_in,
               "udp sport 67 udp dport 68 accept", "udp sport 547 udp dport 546 accept",
               f"icmpv6 type {{ {ND_IN} }} accept"]
    boxes: dict[tuple[bool, str, str], list[Box]] = {}
    for rule in rules:
        is_in = rule["direction"] == "ingress"
        found = _boxes(rule, remote_groups)
        if found is not None:
            key, made = found
            boxes.setdefault((is_in, *key), []).extend(made)
            continue
        line = _rule(rule, is_in, remote_groups, "accept" if is_in else "return")
        if line is not None:
            (ingress if is_in else egress).append(line)
    for (is_in, family, protocol), found_boxes in sorted(boxes.items()):
        (ingress if is_in else egress).extend(rule_sets.render(
            family, protocol, is_in, found_boxes, "accept" if is_in else "return"))
    return [*egress, "drop", "}", *ingress, "drop", "}"]


def _boxes(rule: dict[str, Any], remote_groups: dict[str, list[str]]
           ) -> tuple[tuple[str, str], list[Box]] | None:
    """A TCP/UDP/SCTP rule as boxes of (remote addresses, ports), keyed by family and
    protocol; None for any other rule (rendered one by one: ICMP, other protocols, any
    protocol)."""
    protocol = rule_sets.PORT_PROTOCOLS.get(str(rule.get("protocol")).lower())
    if protocol is None:
        return None
    v6 = rule["ethertype"] == "IPv6"
    version = 6 if v6 else 4
    key = ("ipv6" if v6 else "ipv4", protocol)
    if rule.get("remote_ip_prefix"):
        nets = [ipaddress.ip_network(rule["remote_ip_prefix"], strict=False)]
    elif rule.get("remote_group_id"):
        nets = [ipaddress.ip_network(a, strict=False)
                for a in remote_groups.get(rule["remote_group_id"], [])]
    else:
        nets = [ipaddress.ip_network("::/0" if v6 else "0.0.0.0/0")]
    low, high = rule.get("port_range_min"), rule.get("port_range_max")
    low, high = (0, 65535) if low is None else (int(low), int(low if high is None else high))
    return key, [Box(n, low, high) for n in nets if n.version == version]


def render(ports: list[LocalPort], groups: dict[str, Any],
           remote_groups: dict[str, list[str]], zones: dict[str, int]) -> str:
    """The whole ``nft -f`` input: both tables, replaced in one transaction."""
    chosen = numbered(ports)
    down = sorted(p.device for p in ports if not p.admin_up)
    bridge = [f"table bridge {names.PORTS_TABLE} {{",
              "chain prerouting {", "type filter hook prerouting priority -300; policy accept;"]
    # A port set administratively down passes nothing either way.
    bridge += [f"iifname {_q(device)} drop" for device in down]
    for n, port in chosen:
        bridge.append(f"iifname {_q(port.device)} meta mark set 0x{n << 16:08x} "
                      f"jump spoof-{n}")
    bridge += ["}", "chain forward {", "type filter hook forward priority -200; "
               "policy accept;"]
    bridge += [f"oifname {_q(device)} drop" for device in down]
    for n, port in chosen:
        bridge.append(f"oifname {_q(port.device)} meta mark set meta mark | 0x{n:08x}")
    bridge.append("}")
    for n, port in chosen:
        bridge += _spoof_chain(n, port)
    bridge.append("}")

    inet = [f"table inet {names.FILTER_TABLE} {{",
            "chain prerouting {", "type filter hook prerouting priority -300; policy accept;"]
    for br, zone in sorted(zones.items()):
        inet.append(f"iifname {_q(br)} ct zone set {zone}")
    inet += ["}", "chain output {", "type filter hook output priority -300; policy accept;"]
    for br, zone in sorted(zones.items()):
        inet.append(f"oifname {_q(br)} ct zone set {zone}")
    inet += ["}", "chain forward {", "type filter hook forward priority 0; policy accept;"]
    if chosen:
        inet.append("meta mark & 0xffff0000 vmap { " + ", ".join(
            f"0x{n << 16:08x} : jump egress-{n}" for n, _ in chosen) + " }")
        inet.append("meta mark & 0x0000ffff vmap { " + ", ".join(
            f"0x{n:08x} : jump ingress-{n}" for n, _ in chosen) + " }")
    inet.append("}")
    for n, port in chosen:
        inet += _group_chains(n, port, groups, remote_groups)
    inet.append("}")
    return "\n".join(replace_table("bridge", names.PORTS_TABLE) + bridge
                     + replace_table("inet", names.FILTER_TABLE) + inet) + "\n"


def replace_table(family: str, table: str) -> list[str]:
    """Lines that empty a table whether or not it exists (same transaction as its new
    content, so there is never a moment without rules)."""
    return [f"table {family} {table}", f"delete table {family} {table}"]


def empty(family: str, table: str) -> str:
    return "\n".join(replace_table(family, table)) + "\n"
