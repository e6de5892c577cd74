"""Neutron's "get me a network": the auto-allocated topology of a project (a network
with subnets from the default pools, routed to the default external network), its
dry-run check and deletion, and the one default external network of a cloud."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.network.conftest import NetApi, User, in_process, make_user

NO_EXTERNAL = "Deployment error: No default router:external network."
NO_POOLS = "Deployment error: No default subnetpools defined."


def topology(api: NetApi, project_id: str, token: str | None = None,
             query: str = "") -> Any:
    return api.net("GET", f"/auto-allocated-topology/{project_id}{query}", token)


def forget(api: NetApi, project_id: str, token: str | None = None) -> Any:
    return api.net("DELETE", f"/auto-allocated-topology/{project_id}", token)


def failure(response: Any) -> tuple[int, str, str]:
    error = response.json()["NeutronError"]
    return response.status_code, error["type"], error["message"]


def listed(api: NetApi, collection: str, query: str) -> list[dict[str, Any]]:
    r = api.net("GET", f"/{collection}?{query}")
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()[collection]
    return found


def default_external(api: NetApi, cidr: str) -> dict[str, Any]:
    net = api.create("network", None, name="default-public", is_default=True,
                     **{"router:external": True})
    api.create("subnet", None, network_id=net["id"], ip_version=4, cidr=cidr)
    return net


@pytest.fixture(scope="module")
def defaults(net_api: NetApi) -> dict[str, Any]:
    """What an operator sets up for auto-allocation: a default external network and
    default (shared) subnet pools of both IP versions."""
    external = default_external(net_api, "172.25.0.0/24")
    v4 = net_api.create("subnetpool", None, name="default-v4", prefixes=["10.128.0.0/16"],
                        default_prefixlen=26, shared=True, is_default=True)
    v6 = net_api.create("subnetpool", None, name="default-v6",
                        prefixes=["fd00:aa::/48"], default_prefixlen=64, shared=True,
                        is_default=True)
    return {"external": external, "v4": v4, "v6": v6}


@pytest.fixture(scope="module")
def carol(net_api: NetApi) -> User:
    return make_user(net_api, "carol")


@pytest.fixture
def empty_cloud(tmp_path: Path) -> Iterator[NetApi]:
    """A cloud of its own: no default external network nor subnet pool yet."""
    yield from in_process(tmp_path)


def test_dry_run_names_what_is_missing_then_passes(empty_cloud: NetApi) -> None:
    api = empty_cloud
    user = make_user(api, "erin")
    assert failure(topology(api, user.project_id, user.token, "?fields=dry-run")) == (
        409, "AutoAllocationFailure", NO_EXTERNAL)
    # Asking for the topology itself fails alike, and builds nothing.
    assert failure(topology(api, user.project_id, user.token)) == (
        409, "AutoAllocationFailure", NO_EXTERNAL)
    assert listed(api, "networks", f"project_id={user.project_id}") == []
    # is_default is kept only on an external network: this one is no default.
    internal = api.create("network", None, name="internal", is_default=True)
    assert internal["is_default"] is False
    assert failure(topology(api, user.project_id, user.token, "?fields=dry-run"))[2] == (
        NO_EXTERNAL)
    default_external(api, "172.26.0.0/24")
    assert failure(topology(api, user.project_id, user.token, "?fields=dry-run")) == (
        409, "AutoAllocationFailure", NO_POOLS)
    api.create("subnetpool", None, name="p4", prefixes=["10.129.0.0/16"],
               default_prefixlen=24, shared=True, is_default=True)
    r = topology(api, user.project_id, user.token, "?fields=dry-run")
    assert r.status_code == 200, r.text
    assert r.json() == {"auto_allocated_topology": {
        "id": "dry-run=pass", "tenant_id": user.project_id, "project_id": user.project_id}}
    # The check builds nothing either.
    assert listed(api, "networks", f"project_id={user.project_id}") == []


def test_first_call_builds_a_routed_network_the_second_returns_it(
        net_api: NetApi, alice: User, defaults: dict[str, Any]) -> None:
    r = topology(net_api, alice.project_id, alice.token)
    assert r.status_code == 200, r.text
    found = r.json()["auto_allocated_topology"]
    assert found == {"id": found["id"], "tenant_id": alice.project_id,
                     "project_id": alice.project_id}
    net = net_api.net("GET", f"/networks/{found['id']}", alice.token).json()["network"]
    assert net["name"] == "auto_allocated_network"
    assert net["project_id"] == alice.project_id and net["admin_state_up"] is True
    assert net["shared"] is False and net["router:external"] is False
    subnets = sorted(listed(net_api, "subnets", f"network_id={net['id']}"),
                     key=lambda x: x["ip_version"])
    assert [(x["name"], x["subnetpool_id"]) for x in subnets] == [
        ("auto_allocated_subnet_v4", defaults["v4"]["id"]),
        ("auto_allocated_subnet_v6", defaults["v6"]["id"])]
    v4 = ipaddress.ip_network(subnets[0]["cidr"])
    assert v4.subnet_of(ipaddress.ip_network("10.128.0.0/16")) and v4.prefixlen == 26
    [router] = listed(net_api, "routers", f"project_id={alice.project_id}")
    assert router["name"] == "auto_allocated_router"
    assert router["external_gateway_info"]["network_id"] == defaults["external"]["id"]
    assert router["external_gateway_info"]["external_fixed_ips"][0][
        "ip_address"].startswith("172.25.0.")
    # Both subnets are plugged into the router at their gateway addresses.
    interfaces = listed(net_api, "ports", f"device_id={router['id']}"
                        "&device_owner=network:router_interface")
    plugged = {ip["subnet_id"]: ip["ip_address"] for p in interfaces for ip in p["fixed_ips"]}
    assert plugged == {x["id"]: x["gateway_ip"] for x in subnets}
    # The second call returns the same network and builds nothing more.
    again = topology(net_api, alice.project_id, alice.token).json()["auto_allocated_topology"]
    assert again["id"] == found["id"]
    assert len(listed(net_api, "networks", f"project_id={alice.project_id}")) == 1
    assert len(listed(net_api, "routers", f"project_id={alice.project_id}")) == 1


def test_only_admins_ask_for_other_projects(net_api: NetApi, alice: User, bob: User,
                                            defaults: dict[str, Any]) -> None:
    assert failure(topology(net_api, alice.project_id, bob.token))[:2] == (
        403, "NotAuthorized")
    assert failure(forget(net_api, alice.project_id, bob.token))[:2] == (
        403, "NotAuthorized")
    # An admin builds one for bob's project: it is bob's, and bob is given the same one.
    made = topology(net_api, bob.project_id).json()["auto_allocated_topology"]
    net = net_api.net("GET", f"/networks/{made['id']}", bob.token).json()["network"]
    assert net["project_id"] == bob.project_id
    mine = topology(net_api, bob.project_id, bob.token).json()["auto_allocated_topology"]
    assert mine["id"] == made["id"]


def test_unknown_fields_are_refused(net_api: NetApi, alice: User,
                                   defaults: dict[str, Any]) -> None:
    r = topology(net_api, alice.project_id, alice.token, "?fields=id")
    assert r.status_code == 400


def test_delete_removes_everything(net_api: NetApi, carol: User,
                                   defaults: dict[str, Any]) -> None:
    assert failure(forget(net_api, carol.project_id, carol.token))[0] == 404
    first = topology(net_api, carol.project_id, carol.token).json()[
        "auto_allocated_topology"]["id"]
    [router] = listed(net_api, "routers", f"project_id={carol.project_id}")
    assert forget(net_api, carol.project_id, carol.token).status_code == 204
    project = f"project_id={carol.project_id}"
    for collection in ("networks", "subnets", "routers", "ports"):
        assert listed(net_api, collection, project) == [], collection
    # The router's interfaces and its gateway on the external network went with it.
    assert listed(net_api, "ports", f"device_id={router['id']}") == []
    assert net_api.net("GET", f"/networks/{first}").status_code == 404
    assert failure(forget(net_api, carol.project_id, carol.token))[0] == 404
    # Asked for again: a new one.
    second = topology(net_api, carol.project_id, carol.token).json()[
        "auto_allocated_topology"]["id"]
    assert second != first


def test_one_default_external_network_per_cloud(net_api: NetApi, alice: User,
                                                defaults: dict[str, Any]) -> None:
    current = defaults["external"]
    shown = net_api.net("GET", f"/networks/{current['id']}").json()["network"]
    assert shown["is_default"] is True
    exists = f"A default external network already exists: {current['id']}."
    r = net_api.net("POST", "/networks", json={"network": {
        "name": "second", "router:external": True, "is_default": True}})
    assert failure(r) == (409, "DefaultExternalNetworkExists", exists)
    other = net_api.create("network", None, name="other", **{"router:external": True})
    assert other["is_default"] is False
    r = net_api.net("PUT", f"/networks/{other['id']}",
                    json={"network": {"is_default": True}})
    assert failure(r) == (409, "DefaultExternalNetworkExists", exists)
    # Only an admin chooses the default.
    r = net_api.net("POST", "/networks", alice.token,
                    json={"network": {"name": "mine", "is_default": True}})
    assert r.status_code == 403
    # Moving the default: unset it, then set it elsewhere.
    r = net_api.net("PUT", f"/networks/{current['id']}",
                    json={"network": {"is_default": False}})
    assert r.status_code == 200 and r.json()["network"]["is_default"] is False
    r = net_api.net("PUT", f"/networks/{other['id']}", json={"network": {"is_default": True}})
    assert r.status_code == 200 and r.json()["network"]["is_default"] is True
    # A network that stops being external stops being the default; then the first one
    # can be the default again.
    r = net_api.net("PUT", f"/networks/{other['id']}",
                    json={"network": {"router:external": False}})
    assert r.status_code == 200 and r.json()["network"]["is_default"] is False
    r = net_api.net("PUT", f"/networks/{current['id']}",
                    json={"network": {"is_default": True}})
    assert r.status_code == 200 and r.json()["network"]["is_default"] is True


def test_the_extension_is_listed(net_api: NetApi) -> None:
    r = net_api.net("GET", "/extensions/auto-allocated-topology")
    assert r.status_code == 200 and r.json()["extension"]["alias"] == (
        "auto-allocated-topology")
