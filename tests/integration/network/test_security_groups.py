"""Security groups: the lazily made default group, rule validation and duplicates."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.network.conftest import NetApi, User, make_user


@pytest.fixture(scope="module")
def carol(net_api: NetApi) -> User:
    return make_user(net_api, "carol")


def test_default_group_appears_once_with_its_four_rules(net_api: NetApi, carol: User) -> None:
    first = net_api.net("GET", "/security-groups", carol.token).json()["security_groups"]
    again = net_api.net("GET", "/security-groups", carol.token).json()["security_groups"]
    assert [g["id"] for g in first] == [g["id"] for g in again]
    assert [g["name"] for g in first] == ["default"]
    rules = {(r["direction"], r["ethertype"], r["remote_group_id"])
             for r in first[0]["security_group_rules"]}
    assert rules == {("ingress", "IPv4", first[0]["id"]), ("ingress", "IPv6", first[0]["id"]),
                     ("egress", "IPv4", None), ("egress", "IPv6", None)}
    r = net_api.net("DELETE", f"/security-groups/{first[0]['id']}", carol.token)
    assert net_api.error(r) == (409, "SecurityGroupCannotRemoveDefault")


@pytest.fixture(scope="module")
def web(net_api: NetApi, carol: User) -> dict[str, Any]:
    return net_api.create("security_group", carol.token, name="web")


def rule(net_api: NetApi, token: str, **body: Any) -> Any:
    body.setdefault("direction", "ingress")
    return net_api.net("POST", "/security-group-rules", token,
                       json={"security_group_rule": body})


def test_new_group_has_egress_rules_and_takes_tcp_rules(
        net_api: NetApi, carol: User, web: dict[str, Any]) -> None:
    assert {(r["direction"], r["ethertype"]) for r in web["security_group_rules"]} == {
        ("egress", "IPv4"), ("egress", "IPv6")}
    r = rule(net_api, carol.token, security_group_id=web["id"], protocol="tcp",
             port_range_min=80, port_range_max=80, remote_ip_prefix="0.0.0.0/0")
    assert r.status_code == 201
    created = r.json()["security_group_rule"]
    again = rule(net_api, carol.token, security_group_id=web["id"], protocol="6",
                 port_range_min=80, port_range_max=80)
    assert net_api.error(again) == (409, "SecurityGroupRuleExists")
    assert created["id"] in again.json()["NeutronError"]["message"]


@pytest.mark.parametrize(("body", "expected"), [
    ({"protocol": "tcp", "port_range_min": 90, "port_range_max": 80},
     "SecurityGroupInvalidPortRange"),
    ({"protocol": "bogus"}, "SecurityGroupRuleInvalidProtocol"),
    ({"protocol": "icmp", "port_range_min": 300}, "SecurityGroupInvalidIcmpValue"),
    ({"port_range_min": 22, "port_range_max": 22}, "SecurityGroupProtocolRequiredWithPorts"),
    ({"remote_ip_prefix": "10.0.0.0/8", "ethertype": "IPv6"},
     "SecurityGroupRuleParameterConflict"),
])
def test_invalid_rules_are_refused(net_api: NetApi, carol: User, web: dict[str, Any],
                                   body: dict[str, Any], expected: str) -> None:
    r = rule(net_api, carol.token, security_group_id=web["id"], **body)
    assert net_api.error(r) == (400, expected)


def test_remote_group_and_prefix_are_exclusive(net_api: NetApi, carol: User,
                                               web: dict[str, Any]) -> None:
    r = rule(net_api, carol.token, security_group_id=web["id"], remote_group_id=web["id"],
             remote_ip_prefix="10.0.0.0/8")
    assert net_api.error(r) == (400, "SecurityGroupRemoteGroupAndRemoteIpPrefix")


def test_group_in_use_by_a_port_cannot_be_deleted(net_api: NetApi, carol: User,
                                                  web: dict[str, Any]) -> None:
    net = net_api.create("network", carol.token)
    port = net_api.create("port", carol.token, network_id=net["id"],
                          security_groups=[web["id"]])
    r = net_api.net("DELETE", f"/security-groups/{web['id']}", carol.token)
    assert net_api.error(r) == (409, "SecurityGroupInUse")
    net_api.net("DELETE", f"/ports/{port['id']}", carol.token)
    assert net_api.net("DELETE", f"/security-groups/{web['id']}",
                       carol.token).status_code == 204
