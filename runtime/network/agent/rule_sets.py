"""Security group rules with ports as set lookups, so that a new connection costs the
same with 1,000 rules as with one (pure rendering, used by :mod:`.firewall`).

A TCP, UDP or SCTP rule allows a box: remote addresses (its prefix, or each address of
its remote group; everything when neither) by destination ports (its range, or all).
The boxes of one direction, family and protocol become the elements
``address . port`` of one anonymous concatenated set, looked up once per packet.
nftables refuses overlapping elements in such a set, and two rules may well overlap (a
port open to everyone and to one prefix): boxes go into layers, each box into the first
layer it overlaps nothing in, and each layer is one rule. Rule sets of real groups need
one layer, sometimes two; duplicates are dropped first.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

PORT_PROTOCOLS = {"tcp": "tcp", "udp": "udp", "sctp": "sctp", "6": "tcp", "17": "udp",
                  "132": "sctp"}


@dataclass(frozen=True)
class Box:
    net: Network
    low: int
    high: int

    def overlaps(self, other: Box) -> bool:
        return self.low <= other.high and other.low <= self.high and \
            self.net.overlaps(other.net)

    def element(self) -> str:
        port = str(self.low) if self.low == self.high else f"{self.low}-{self.high}"
        return f"{self.net} . {port}"


def layers(boxes: list[Box]) -> list[list[Box]]:
    """The boxes split so that no two in one layer overlap, in a stable order."""
    placed: list[list[Box]] = []
    for box in dict.fromkeys(boxes):  # without duplicates, first seen first
        for layer in placed:
            if not any(box.overlaps(other) for other in layer
                       if box.low <= other.high and other.low <= box.high):
                layer.append(box)
                break
        else:
            placed.append([box])
    return placed


def render(family: str, protocol: str, ingress: bool, boxes: list[Box],
           verdict: str) -> list[str]:
    """One rule per layer: ``ip saddr . tcp dport { ... } accept`` and the like."""
    ip = "ip6" if family == "ipv6" else "ip"
    side = "saddr" if ingress else "daddr"
    return [f"meta nfproto {family} meta l4proto {protocol} {ip} {side} . {protocol} dport "
            f"{{ {', '.join(b.element() for b in layer)} }} {verdict}"
            for layer in layers(boxes)]
