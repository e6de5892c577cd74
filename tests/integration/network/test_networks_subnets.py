"""Networks and subnets as a user sees them: segmentation, defaults, validation errors,
sharing and in-use deletes."""

from __future__ import annotations

from typing import Any

from tests.integration.network.conftest import NetApi, User


def test_tenant_networks_get_distinct_vnis_that_only_admins_see(
        net_api: NetApi, alice: User) -> None:
    mine = net_api.create("network", alice.token, name="alice-net")
    assert "provider:segmentation_id" not in mine
    first = net_api.net("GET", f"/networks/{mine['id']}").json()["network"]
    other = net_api.create("network", name="admin-net")
    assert first["provider:network_type"] == "vxlan"
    assert other["provider:segmentation_id"] != first["provider:segmentation_id"]
    assert first["mtu"] == 1450


def test_provider_attributes_are_admin_only(net_api: NetApi, alice: User) -> None:
    r = net_api.net("POST", "/networks", alice.token, json={"network": {
        "name": "x", "provider:network_type": "flat", "provider:physical_network": "p"}})
    assert net_api.error(r) == (403, "PolicyNotAuthorized")
    flat = net_api.create("network", **{"provider:network_type": "flat",
                                        "provider:physical_network": "physnet-a"})
    assert flat["mtu"] == 1500 and flat["provider:segmentation_id"] is None
    r = net_api.net("POST", "/networks", json={"network": {
        "provider:network_type": "flat", "provider:physical_network": "physnet-a"}})
    assert net_api.error(r) == (409, "FlatNetworkInUse")
    vlan = net_api.create("network", **{"provider:network_type": "vlan",
                                        "provider:physical_network": "physnet-a",
                                        "provider:segmentation_id": 101})
    assert vlan["provider:segmentation_id"] == 101
    r = net_api.net("POST", "/networks", json={"network": {
        "provider:network_type": "vlan", "provider:physical_network": "physnet-a",
        "provider:segmentation_id": 101}})
    assert net_api.error(r) == (409, "VlanIdInUse")


def test_unknown_attribute_is_a_neutron_shaped_400(net_api: NetApi) -> None:
    r = net_api.net("POST", "/networks", json={"network": {"colour": "blue"}})
    assert r.status_code == 400
    assert r.json()["NeutronError"]["message"] == "Unrecognized attribute(s) 'colour'"


def test_subnet_defaults_and_ipv6_slaac(net_api: NetApi) -> None:
    net = net_api.create("network", name="dual")
    v4 = net_api.create("subnet", network_id=net["id"], ip_version=4, cidr="10.30.0.0/24",
                        dns_nameservers=["8.8.8.8"])
    assert v4["gateway_ip"] == "10.30.0.1" and v4["enable_dhcp"] is True
    assert v4["allocation_pools"] == [{"start": "10.30.0.2", "end": "10.30.0.254"}]
    v6 = net_api.create("subnet", network_id=net["id"], ip_version=6,
                        cidr="2001:db8:30::/64", ipv6_ra_mode="slaac",
                        ipv6_address_mode="slaac")
    assert v6["gateway_ip"] == "2001:db8:30::1"
    port = net_api.create("port", network_id=net["id"])
    addresses = {ip["subnet_id"]: ip["ip_address"] for ip in port["fixed_ips"]}
    assert addresses[v4["id"]] == "10.30.0.2"
    mac = port["mac_address"].split(":")
    # The SLAAC address is the EUI-64 of the port's MAC.
    assert addresses[v6["id"]].endswith(f"{mac[4]}{mac[5]}".lstrip("0"))
    r = net_api.net("POST", "/subnets", json={"subnet": {
        "network_id": net["id"], "ip_version": 6, "cidr": "2001:db8:31::/80",
        "ipv6_address_mode": "slaac"}})
    assert r.status_code == 400 and "/64" in r.json()["NeutronError"]["message"]


def test_subnet_validation_errors(net_api: NetApi) -> None:
    net = net_api.create("network", name="checks")
    net_api.create("subnet", network_id=net["id"], ip_version=4, cidr="10.40.0.0/16")

    def attempt(**body: Any) -> tuple[int, str]:
        body.setdefault("network_id", net["id"])
        body.setdefault("ip_version", 4)
        return net_api.error(net_api.net("POST", "/subnets", json={"subnet": body}))

    assert attempt(cidr="10.40.8.0/24") == (400, "InvalidInput")  # overlaps
    assert attempt(cidr="10.41.0.0/24", allocation_pools=[
        {"start": "10.41.0.10", "end": "10.41.1.5"}]) == (400, "OutOfBoundsAllocationPool")
    assert attempt(cidr="10.41.0.0/24", gateway_ip="10.41.0.20", allocation_pools=[
        {"start": "10.41.0.10", "end": "10.41.0.50"}]) == (
        409, "GatewayConflictWithAllocationPools")
    assert attempt(cidr="10.41.0.0/24", ip_version=6) == (400, "InvalidInput")
    assert attempt(cidr="10.41.0.5/24") == (400, "HTTPBadRequest")


def test_subnet_from_pool_by_prefix_length(net_api: NetApi, alice: User) -> None:
    pool = net_api.create("subnetpool", alice.token, name="p", prefixes=["10.100.0.0/16"],
                          default_prefixlen=24)
    net = net_api.create("network", alice.token)
    first = net_api.create("subnet", alice.token, network_id=net["id"], ip_version=4,
                           subnetpool_id=pool["id"])
    second = net_api.create("subnet", alice.token, network_id=net["id"], ip_version=4,
                            subnetpool_id=pool["id"], prefixlen=26)
    assert first["cidr"] == "10.100.0.0/24" and first["subnetpool_id"] == pool["id"]
    assert second["cidr"] == "10.100.1.0/26"


def test_network_in_use_and_subnet_in_use(net_api: NetApi) -> None:
    net = net_api.create("network", name="busy")
    sub = net_api.create("subnet", network_id=net["id"], ip_version=4, cidr="10.50.0.0/24")
    dhcp = net_api.create("port", network_id=net["id"], device_owner="network:dhcp")
    vm = net_api.create("port", network_id=net["id"], device_owner="compute:nova",
                        device_id="server-1")
    assert net_api.error(net_api.net("DELETE", f"/networks/{net['id']}")) == (
        409, "NetworkInUse")
    assert net_api.error(net_api.net("DELETE", f"/subnets/{sub['id']}")) == (
        409, "SubnetInUse")
    assert net_api.net("DELETE", f"/ports/{vm['id']}").status_code == 204
    # Only the DHCP port is left: it goes with the network.
    assert net_api.net("DELETE", f"/networks/{net['id']}").status_code == 204
    assert net_api.net("GET", f"/ports/{dhcp['id']}").status_code == 404
    assert net_api.error(net_api.net("GET", f"/subnets/{sub['id']}")) == (
        404, "SubnetNotFound")


def test_shared_and_external_networks_are_visible_to_other_projects(
        net_api: NetApi, alice: User, bob: User, public: dict[str, Any]) -> None:
    private = net_api.create("network", alice.token, name="alice-only")
    shared = net_api.create("network", name="shared", shared=True)
    net_api.create("subnet", network_id=shared["id"], ip_version=4, cidr="10.60.0.0/24")
    seen = {n["id"] for n in net_api.net("GET", "/networks", bob.token).json()["networks"]}
    assert {shared["id"], public["id"]} <= seen and private["id"] not in seen
    assert net_api.error(net_api.net("GET", f"/networks/{private['id']}", bob.token)) == (
        404, "NetworkNotFound")
    # Anyone may put a port on a shared network, nobody else may change it.
    net_api.create("port", bob.token, network_id=shared["id"])
    r = net_api.net("PUT", f"/networks/{shared['id']}", bob.token,
                    json={"network": {"name": "mine"}})
    assert r.status_code == 403
    r = net_api.net("PUT", f"/networks/{shared['id']}", json={"network": {"shared": False}})
    assert net_api.error(r) == (409, "InvalidSharedSetting")


def test_if_match_revision_precondition(net_api: NetApi) -> None:
    net = net_api.create("network", name="rev")
    r = net_api.net("PUT", f"/networks/{net['id']}", json={"network": {"name": "rev2"}},
                    headers={"If-Match": f"revision_number={net['revision_number']}"})
    assert r.status_code == 200
    assert r.json()["network"]["revision_number"] == net["revision_number"] + 1
    r = net_api.net("PUT", f"/networks/{net['id']}", json={"network": {"name": "rev3"}},
                    headers={"If-Match": f"revision_number={net['revision_number']}"})
    assert r.status_code == 412


def test_bulk_create_and_list_paging_sorting_fields(net_api: NetApi, bob: User) -> None:
    r = net_api.net("POST", "/networks", bob.token, json={"networks": [
        {"name": f"bulk-{i}"} for i in range(5)]})
    assert r.status_code == 201 and len(r.json()["networks"]) == 5
    r = net_api.net("GET", "/networks?name=bulk-1&name=bulk-3&fields=name&fields=id",
                    bob.token)
    assert sorted(n["name"] for n in r.json()["networks"]) == ["bulk-1", "bulk-3"]
    assert all(set(n) == {"id", "name"} for n in r.json()["networks"])
    names: list[str] = []
    url = "/networks?sort_key=name&sort_dir=desc&limit=2&shared=false&router:external=false"
    while url:
        page = net_api.net("GET", url, bob.token).json()
        names += [n["name"] for n in page["networks"]]
        nxt = [link["href"] for link in page.get("networks_links", [])
               if link["rel"] == "next"]
        url = nxt[0].split("/v2.0", 1)[1] if nxt else ""
    assert names == [f"bulk-{i}" for i in reversed(range(5))]


def test_tags_and_tag_filters(net_api: NetApi, bob: User) -> None:
    net = net_api.create("network", bob.token, name="tagged")
    r = net_api.net("PUT", f"/networks/{net['id']}/tags", bob.token,
                    json={"tags": ["red", "blue"]})
    assert r.json() == {"tags": ["blue", "red"]}
    assert net_api.net("PUT", f"/networks/{net['id']}/tags/green", bob.token).status_code == 201
    found = net_api.net("GET", "/networks?tags=red,green", bob.token).json()["networks"]
    assert [n["id"] for n in found] == [net["id"]]
    def ids(query: str) -> set[str]:
        return {n["id"] for n in net_api.net("GET", "/networks?" + query,
                                             bob.token).json()["networks"]}

    assert net["id"] not in ids("not-tags-any=blue,yellow")
    assert net["id"] in ids("not-tags-any=yellow")
    assert net["id"] in ids("tags-any=yellow,green")
    assert net_api.net("DELETE", f"/networks/{net['id']}/tags/nope",
                       bob.token).status_code == 404
