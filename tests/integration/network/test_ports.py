"""Ports: fixed IP allocation and its errors, MAC addresses, bindings, security groups
and allowed address pairs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.network.conftest import NetApi, User


@pytest.fixture(scope="module")
def lan(net_api: NetApi, alice: User) -> dict[str, Any]:
    net = net_api.create("network", alice.token, name="lan")
    sub = net_api.create("subnet", alice.token, network_id=net["id"], ip_version=4,
                         cidr="10.70.0.0/29")
    return {"network": net, "subnet": sub}


def test_addresses_come_from_the_pool_in_order_and_are_reused(
        net_api: NetApi, alice: User, lan: dict[str, Any]) -> None:
    net_id, sub_id = lan["network"]["id"], lan["subnet"]["id"]
    ports = [net_api.create("port", alice.token, network_id=net_id) for _ in range(3)]
    assert [p["fixed_ips"][0]["ip_address"] for p in ports] == [
        "10.70.0.2", "10.70.0.3", "10.70.0.4"]
    net_api.net("DELETE", f"/ports/{ports[1]['id']}", alice.token)
    again = net_api.create("port", alice.token, network_id=net_id,
                           fixed_ips=[{"subnet_id": sub_id}])
    assert again["fixed_ips"] == [{"subnet_id": sub_id, "ip_address": "10.70.0.3"}]


def test_requested_addresses_are_checked(net_api: NetApi, alice: User,
                                         lan: dict[str, Any]) -> None:
    net_id, sub_id = lan["network"]["id"], lan["subnet"]["id"]

    def attempt(*fixed_ips: dict[str, str]) -> tuple[int, str]:
        return net_api.error(net_api.net("POST", "/ports", alice.token, json={"port": {
            "network_id": net_id, "fixed_ips": list(fixed_ips)}}))

    assert attempt({"subnet_id": sub_id, "ip_address": "10.99.0.5"}) == (
        400, "InvalidIpForSubnet")
    assert attempt({"ip_address": "10.99.0.5"}) == (400, "InvalidIpForNetwork")
    taken = net_api.create("port", alice.token, network_id=net_id,
                           fixed_ips=[{"ip_address": "10.70.0.6"}])
    assert taken["fixed_ips"][0]["ip_address"] == "10.70.0.6"
    assert attempt({"subnet_id": sub_id, "ip_address": "10.70.0.6"}) == (
        409, "IpAddressAlreadyAllocated")


def test_a_full_subnet_refuses_more_ports(net_api: NetApi, alice: User) -> None:
    net = net_api.create("network", alice.token)
    net_api.create("subnet", alice.token, network_id=net["id"], ip_version=4,
                   cidr="10.71.0.0/30")
    net_api.create("port", alice.token, network_id=net["id"])
    r = net_api.net("POST", "/ports", alice.token, json={"port": {"network_id": net["id"]}})
    assert net_api.error(r) == (409, "IpAddressGenerationFailure")


def test_mac_addresses_are_generated_and_unique_per_network(
        net_api: NetApi, alice: User, lan: dict[str, Any]) -> None:
    net_id = lan["network"]["id"]
    mine = net_api.create("port", alice.token, network_id=net_id, fixed_ips=[],
                          mac_address="fa:16:3e:aa:bb:cc")
    assert mine["mac_address"] == "fa:16:3e:aa:bb:cc" and mine["fixed_ips"] == []
    r = net_api.net("POST", "/ports", alice.token, json={"port": {
        "network_id": net_id, "mac_address": "fa:16:3e:aa:bb:cc", "fixed_ips": []}})
    assert net_api.error(r) == (409, "MacAddressInUse")
    other = net_api.create("network", alice.token)
    elsewhere = net_api.create("port", alice.token, network_id=other["id"],
                               mac_address="fa:16:3e:aa:bb:cc")
    assert elsewhere["mac_address"] == "fa:16:3e:aa:bb:cc"


def test_ports_get_the_default_group_unless_port_security_is_off(
        net_api: NetApi, alice: User, lan: dict[str, Any]) -> None:
    net_id = lan["network"]["id"]
    port = net_api.create("port", alice.token, network_id=net_id, fixed_ips=[])
    groups = net_api.net("GET", "/security-groups?name=default",
                         alice.token).json()["security_groups"]
    assert port["security_groups"] == [groups[0]["id"]]
    bare = net_api.create("port", alice.token, network_id=net_id, fixed_ips=[],
                          port_security_enabled=False)
    assert bare["security_groups"] == []
    r = net_api.net("PUT", f"/ports/{port['id']}", alice.token,
                    json={"port": {"port_security_enabled": False}})
    assert net_api.error(r) == (409, "PortSecurityPortHasSecurityGroup")
    r = net_api.net("PUT", f"/ports/{bare['id']}", alice.token, json={"port": {
        "allowed_address_pairs": [{"ip_address": "10.70.0.100"}]}})
    assert net_api.error(r) == (409, "AddressPairAndPortSecurityRequired")
    r = net_api.net("PUT", f"/ports/{port['id']}", alice.token, json={"port": {
        "allowed_address_pairs": [{"ip_address": "10.70.0.96/28"}]}})
    assert r.json()["port"]["allowed_address_pairs"] == [
        {"ip_address": "10.70.0.96/28", "mac_address": port["mac_address"]}]


def test_bindings_are_set_and_seen_by_admins_only(
        net_api: NetApi, alice: User, lan: dict[str, Any]) -> None:
    port = net_api.create("port", alice.token, network_id=lan["network"]["id"],
                          fixed_ips=[], device_owner="compute:nova", device_id="vm-1")
    assert "binding:host_id" not in port
    r = net_api.net("PUT", f"/ports/{port['id']}", alice.token,
                    json={"port": {"binding:host_id": "node-1"}})
    assert r.status_code == 403
    r = net_api.net("PUT", f"/ports/{port['id']}", json={"port": {
        "binding:host_id": "node-1"}})
    bound = r.json()["port"]
    assert bound["binding:host_id"] == "node-1" and bound["binding:vif_type"] == "bridge"
    found = net_api.net("GET", "/ports?binding:host_id=node-1").json()["ports"]
    assert [p["id"] for p in found] == [port["id"]]


def test_fixed_ip_filters(net_api: NetApi, alice: User, lan: dict[str, Any]) -> None:
    sub_id = lan["subnet"]["id"]
    r = net_api.net("GET", f"/ports?fixed_ips=ip_address%3D10.70.0.6&fixed_ips=subnet_id%3D"
                    f"{sub_id}", alice.token)
    assert [p["fixed_ips"][0]["ip_address"] for p in r.json()["ports"]] == ["10.70.0.6"]
