"""Security group rules with ports become set lookups: one nft rule for many rules, and
never two overlapping elements in one set (nftables refuses them)."""

from __future__ import annotations

import ipaddress

from runtime.network.agent import firewall
from runtime.network.agent.plan import Address, LocalPort
from runtime.network.agent.rule_sets import Box, layers

PORT = LocalPort("p1", "n1", "tapp1", "brqn1", "fa:16:3e:00:00:01",
                 (Address("10.0.0.5", 24, "s1"),), (), ("sg",), True)


def tcp(port: int, prefix: str | None = None, high: int | None = None) -> dict[str, object]:
    return {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
            "port_range_min": port, "port_range_max": high if high is not None else port,
            "remote_ip_prefix": prefix, "remote_group_id": None}


def ingress(rules: list[dict[str, object]]) -> list[str]:
    text = firewall.render([PORT], {"sg": {"rules": rules}}, {}, {})
    chain = text[text.index("chain ingress-1 {"):]
    return chain[:chain.index("\ndrop\n}")].splitlines()


def test_a_thousand_rules_are_one_lookup() -> None:
    rules = [tcp(10000 + i, f"198.18.{i // 250}.{i % 250}/32" if i % 2 else None)
             for i in range(1000)]
    looked_up = [line for line in ingress(rules) if "dport" in line and "tcp" in line]
    assert len(looked_up) == 1
    assert "198.18.0.1/32 . 10001" in looked_up[0] and "0.0.0.0/0 . 10000" in looked_up[0]


def test_overlapping_rules_go_to_separate_lookups_and_duplicates_go() -> None:
    rules = [tcp(80), tcp(80), tcp(80, "10.0.0.0/8"), tcp(70, "10.1.0.0/16", 90),
             tcp(443, "10.0.0.0/8")]
    looked_up = [line for line in ingress(rules) if "tcp dport" in line]
    assert looked_up == [
        "meta nfproto ipv4 meta l4proto tcp ip saddr . tcp dport "
        "{ 0.0.0.0/0 . 80, 10.0.0.0/8 . 443 } accept",
        "meta nfproto ipv4 meta l4proto tcp ip saddr . tcp dport "
        "{ 10.0.0.0/8 . 80 } accept",
        "meta nfproto ipv4 meta l4proto tcp ip saddr . tcp dport "
        "{ 10.1.0.0/16 . 70-90 } accept"]


def test_no_layer_holds_two_overlapping_boxes() -> None:
    net = ipaddress.ip_network
    boxes = [Box(net("0.0.0.0/0"), 0, 65535), Box(net("10.0.0.0/8"), 22, 22),
             Box(net("10.0.0.0/24"), 1, 100), Box(net("192.0.2.0/24"), 22, 22)]
    for layer in layers(boxes):
        for i, a in enumerate(layer):
            assert not any(a.overlaps(b) for b in layer[i + 1:])
    assert sum(len(layer) for layer in layers(boxes)) == len(boxes)
