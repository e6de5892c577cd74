"""The rulesets the agent renders are accepted by this kernel's nftables, including
what the dataplane tests do not send traffic through (IPv6, address pairs, protocol
numbers, remote groups, ports set down), checked inside a namespace made for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from runtime.network.agent import firewall, l3
from runtime.network.agent.plan import AgentConfig, plan
from tests.e2e.network.lab import PREFIX, sh, tools_missing
from tests.unit.network.agent_state import HOST, two_projects

pytestmark = pytest.mark.slow

CFG = AgentConfig(host=HOST, local_ip="192.0.2.12",
                  physical_interface_mappings={"extnet": "eth1"})


@pytest.fixture
def netns() -> Iterator[str]:
    missing = tools_missing()
    if missing:
        pytest.skip(missing)
    name = f"{PREFIX}-nftcheck"
    sh("ip", "netns", "add", name)
    try:
        yield name
    finally:
        sh("ip", "netns", "del", name, check=False)


def test_rendered_rulesets_load(netns: str) -> None:
    state = two_projects()
    guest = state["ports"][0]
    guest["allowed_address_pairs"] = [
        {"ip_address": "10.0.0.100/30", "mac_address": "fa:16:3e:00:00:aa"},
        {"ip_address": "2001:db8::7", "mac_address": "fa:16:3e:00:00:0a"}]
    guest["fixed_ips"].append({"subnet_id": "v6", "ip_address": "2001:db8::5"})
    state["ports"][1]["admin_state_up"] = False
    state["security_groups"]["sg-web"]["rules"] += [
        {"id": "r4", "direction": "ingress", "ethertype": "IPv6", "protocol": "icmp",
         "port_range_min": 128, "port_range_max": 0, "remote_ip_prefix": "::/0",
         "remote_group_id": None},
        {"id": "r5", "direction": "egress", "ethertype": "IPv4", "protocol": "112",
         "port_range_min": None, "port_range_max": None, "remote_ip_prefix": "192.0.2.0/24",
         "remote_group_id": None},
        {"id": "r6", "direction": "ingress", "ethertype": "IPv4", "protocol": "udp",
         "port_range_min": 5000, "port_range_max": 5100, "remote_ip_prefix": None,
         "remote_group_id": None},
        # Overlapping boxes: nftables refuses them in one set, so they take two lookups.
        {"id": "r7", "direction": "ingress", "ethertype": "IPv4", "protocol": "udp",
         "port_range_min": 5050, "port_range_max": 5050, "remote_ip_prefix": "10.0.0.0/8",
         "remote_group_id": None},
        {"id": "r8", "direction": "ingress", "ethertype": "IPv6", "protocol": "sctp",
         "port_range_min": None, "port_range_max": None, "remote_ip_prefix": "2001:db8::/32",
         "remote_group_id": None}]
    p = plan(state, CFG)
    rules = firewall.render(p.ports, p.security_groups, p.remote_groups,
                            {"brqaaaaaaaa-11": 7, "brqbbbbbbbb-22": 8})
    # Loaded for real (twice: the replace works on an existing table too), then gone.
    sh("nft", "-f", "-", ns=netns, input=rules)
    sh("nft", "-f", "-", ns=netns, input=rules)
    listed = sh("nft", "list", "ruleset", ns=netns).stdout
    assert "tappa000000-00" in listed and "ct zone set 7" in listed
    (router,) = p.routers
    sh("nft", "-f", "-", ns=netns, input=l3.render(router))
    assert "dnat to 10.0.0.5" in sh("nft", "list", "table", "ip", "haneul-router",
                                     ns=netns).stdout
