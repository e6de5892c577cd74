"""Routers and floating IPs: gateways, interfaces, overlap and in-use errors, and the
rules of floating IP association."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.network.conftest import NetApi, User


@pytest.fixture(scope="module")
def dave(net_api: NetApi) -> User:
    from tests.integration.network.conftest import make_user

    return make_user(net_api, "dave")


def private(net_api: NetApi, user: User, cidr: str) -> tuple[dict[str, Any], dict[str, Any]]:
    net = net_api.create("network", user.token)
    return net, net_api.create("subnet", user.token, network_id=net["id"], ip_version=4,
                               cidr=cidr)


def test_gateway_takes_an_address_on_the_external_network(
        net_api: NetApi, dave: User, public: dict[str, Any]) -> None:
    router = net_api.create("router", dave.token, name="r",
                            external_gateway_info={"network_id": public["id"]})
    gateway = router["external_gateway_info"]
    assert gateway["network_id"] == public["id"] and gateway["enable_snat"] is True
    assert gateway["external_fixed_ips"][0]["ip_address"].startswith("172.24.4.")
    r = net_api.net("POST", "/routers", dave.token, json={"router": {
        "external_gateway_info": {"network_id": public["id"], "enable_snat": False}}})
    assert r.status_code == 403  # choosing SNAT is the admin's


def test_interfaces_overlap_and_router_in_use(net_api: NetApi, dave: User) -> None:
    router = net_api.create("router", dave.token)
    _, a = private(net_api, dave, "10.80.0.0/24")
    _, b = private(net_api, dave, "10.80.0.0/25")
    path = f"/routers/{router['id']}"
    r = net_api.net("PUT", path + "/add_router_interface", dave.token,
                    json={"subnet_id": a["id"]})
    assert r.status_code == 200 and r.json()["subnet_id"] == a["id"]
    port = net_api.net("GET", f"/ports/{r.json()['port_id']}", dave.token).json()["port"]
    assert port["fixed_ips"][0]["ip_address"] == "10.80.0.1"
    assert port["device_owner"] == "network:router_interface"
    r = net_api.net("PUT", path + "/add_router_interface", dave.token,
                    json={"subnet_id": b["id"]})
    assert r.status_code == 400 and "overlaps" in r.json()["NeutronError"]["message"]
    assert net_api.error(net_api.net("DELETE", path, dave.token)) == (409, "RouterInUse")
    assert net_api.error(net_api.net("DELETE", f"/ports/{port['id']}", dave.token)) == (
        409, "L3PortInUse")
    r = net_api.net("PUT", path + "/remove_router_interface", dave.token,
                    json={"subnet_id": a["id"]})
    assert r.status_code == 200
    assert net_api.net("DELETE", path, dave.token).status_code == 204


def test_floating_ip_needs_a_router_to_the_port(net_api: NetApi, dave: User,
                                                public: dict[str, Any]) -> None:
    net, sub = private(net_api, dave, "10.81.0.0/24")
    port = net_api.create("port", dave.token, network_id=net["id"])
    fip = net_api.create("floatingip", dave.token, floating_network_id=public["id"])
    assert fip["status"] == "DOWN" and fip["port_id"] is None
    r = net_api.net("PUT", f"/floatingips/{fip['id']}", dave.token,
                    json={"floatingip": {"port_id": port["id"]}})
    assert net_api.error(r) == (404, "ExternalGatewayForFloatingIPNotFound")
    router = net_api.create("router", dave.token,
                            external_gateway_info={"network_id": public["id"]})
    net_api.net("PUT", f"/routers/{router['id']}/add_router_interface", dave.token,
                json={"subnet_id": sub["id"]})
    r = net_api.net("PUT", f"/floatingips/{fip['id']}", dave.token,
                    json={"floatingip": {"port_id": port["id"]}})
    associated = r.json()["floatingip"]
    assert associated["router_id"] == router["id"] and associated["status"] == "ACTIVE"
    assert associated["fixed_ip_address"] == port["fixed_ips"][0]["ip_address"]
    # The gateway and the interface cannot go while the floating IP needs them.
    r = net_api.net("PUT", f"/routers/{router['id']}", dave.token,
                    json={"router": {"external_gateway_info": {}}})
    assert net_api.error(r) == (409, "RouterExternalGatewayInUseByFloatingIp")
    r = net_api.net("PUT", f"/routers/{router['id']}/remove_router_interface", dave.token,
                    json={"subnet_id": sub["id"]})
    assert net_api.error(r) == (409, "RouterInterfaceInUseByFloatingIP")
    # Deleting the port disassociates it.
    net_api.net("DELETE", f"/ports/{port['id']}", dave.token)
    after = net_api.net("GET", f"/floatingips/{fip['id']}", dave.token).json()["floatingip"]
    assert (after["port_id"], after["router_id"], after["status"]) == (None, None, "DOWN")


def test_floating_ip_only_on_external_networks(net_api: NetApi, dave: User) -> None:
    net, _ = private(net_api, dave, "10.82.0.0/24")
    r = net_api.net("POST", "/floatingips", dave.token,
                    json={"floatingip": {"floating_network_id": net["id"]}})
    assert r.status_code == 400
