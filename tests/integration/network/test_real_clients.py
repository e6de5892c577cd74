"""The network API through the real clients: openstacksdk and the `openstack` CLI
against a served cloud."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import Cloud, running_cloud


@pytest.fixture(scope="module")
def net_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    with running_cloud(Path(tmp_path_factory.mktemp("net-cloud")),
                       services=["identity", "network"]) as cloud:
        yield cloud


@pytest.fixture(scope="module")
def conn(net_cloud: Cloud) -> Any:
    return net_cloud.sdk()


def test_catalog_lists_neutron_and_cli_creates_network_and_subnet(net_cloud: Cloud) -> None:
    services = {s["Type"]: s["Name"] for s in net_cloud.openstack("service", "list")}
    assert services["network"] == "neutron"
    net = net_cloud.openstack("network", "create", "cli-net")
    assert net["status"] == "ACTIVE" and net["mtu"] == 1450
    sub = net_cloud.openstack("subnet", "create", "cli-sub", "--network", "cli-net",
                              "--subnet-range", "192.168.50.0/24")
    assert sub["gateway_ip"] == "192.168.50.1"
    assert sub["allocation_pools"] == [{"start": "192.168.50.2", "end": "192.168.50.254"}]
    port = net_cloud.openstack("port", "create", "--network", "cli-net", "cli-port")
    assert port["fixed_ips"][0]["ip_address"] == "192.168.50.2"
    assert port["mac_address"].startswith("fa:16:3e:")
    names = [n["Name"] for n in net_cloud.openstack("network", "list")]
    assert "cli-net" in names


def test_cli_reports_overlapping_subnet(net_cloud: Cloud) -> None:
    net_cloud.openstack("network", "create", "cli-overlap")
    net_cloud.openstack("subnet", "create", "a", "--network", "cli-overlap",
                        "--subnet-range", "10.9.0.0/16")
    proc = net_cloud.openstack("subnet", "create", "b", "--network", "cli-overlap",
                               "--subnet-range", "10.9.3.0/24", check=False)
    assert proc.returncode != 0
    assert "overlaps with another subnet" in proc.stderr


def test_sdk_router_and_floating_ip(conn: Any) -> None:
    public = conn.network.create_network(name="sdk-public", is_router_external=True)
    conn.network.create_subnet(network_id=public.id, ip_version=4, cidr="203.0.113.0/24")
    private = conn.network.create_network(name="sdk-private")
    subnet = conn.network.create_subnet(network_id=private.id, ip_version=4,
                                        cidr="10.20.0.0/24")
    port = conn.network.create_port(network_id=private.id)
    fip = conn.network.create_ip(floating_network_id=public.id)
    assert fip.status == "DOWN" and fip.floating_ip_address.startswith("203.0.113.")
    with pytest.raises(Exception, match="not reachable"):
        conn.network.update_ip(fip, port_id=port.id)
    router = conn.network.create_router(name="sdk-router",
                                        external_gateway_info={"network_id": public.id})
    conn.network.add_interface_to_router(router, subnet=subnet.id)
    fip = conn.network.update_ip(fip, port_id=port.id)
    assert fip.port_id == port.id and fip.router_id == router.id
    assert fip.fixed_ip_address == port.fixed_ips[0]["ip_address"]
    assert fip.status == "ACTIVE"


def test_sdk_pages_through_networks(conn: Any) -> None:
    for i in range(5):
        conn.network.create_network(name=f"paged-{i}")
    names = [n.name for n in conn.network.networks(paginated=True, limit=2, sort_key="name")
             if n.name.startswith("paged-")]
    assert names == [f"paged-{i}" for i in range(5)]


def test_default_security_group_seen_by_sdk(conn: Any) -> None:
    groups = list(conn.network.security_groups(name="default",
                                               project_id=conn.current_project_id))
    assert len(groups) == 1
    rules = {(r["direction"], r["ethertype"], r["remote_group_id"] is not None)
             for r in groups[0].security_group_rules}
    assert rules == {("ingress", "IPv4", True), ("ingress", "IPv6", True),
                     ("egress", "IPv4", False), ("egress", "IPv6", False)}


def test_cli_security_group_rules_and_quota(net_cloud: Cloud) -> None:
    group = net_cloud.openstack("security", "group", "create", "cli-web")
    rule = net_cloud.openstack("security", "group", "rule", "create", "--protocol", "tcp",
                               "--dst-port", "443", "cli-web", "-f", "json")
    assert (rule["port_range_min"], rule["port_range_max"]) == (443, 443)
    again = net_cloud.openstack("security", "group", "rule", "create", "--protocol", "tcp",
                                "--dst-port", "443", "cli-web", check=False)
    assert again.returncode != 0 and "already exists" in again.stderr
    rules = net_cloud.openstack("security", "group", "rule", "list", group["id"], "-f",
                                "json")
    assert len(rules) == 3  # the two default egress rules and ours
    used = len(net_cloud.openstack("network", "list", "--project", "admin"))
    net_cloud.openstack("quota", "set", "--networks", str(used + 1), "admin")
    try:
        net_cloud.openstack("network", "create", "last-one")
        proc = net_cloud.openstack("network", "create", "over-quota", check=False)
        assert proc.returncode != 0 and "Quota exceeded" in proc.stderr
        # Without --force the client asks for the limit to be checked against usage.
        proc = net_cloud.openstack("quota", "set", "--networks", "0", "admin", check=False)
        assert proc.returncode != 0 and "must be equal or greater" in proc.stderr
    finally:
        net_cloud.openstack("quota", "set", "--networks", "100", "admin")
