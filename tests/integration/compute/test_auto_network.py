"""``"networks": "auto"`` with no network of its own: the project is given Neutron's
auto-allocated network ("get me a network") and the server a port on it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.compute.conftest import ComputeCloud, make_member
from tests.integration.compute.test_networking import active, flavor, gone, post_server


@pytest.fixture
def auto_defaults(net_cloud: ComputeCloud) -> Iterator[dict[str, Any]]:
    """A default external network and default subnet pool, removed afterwards: other
    tests of this cloud expect "auto" to find nothing to allocate from."""
    admin = net_cloud.conn
    external = admin.network.create_network(name="auto-public", is_router_external=True,
                                            is_default=True)
    admin.network.create_subnet(network_id=external.id, ip_version=4,
                                cidr="172.31.9.0/24")
    pool = admin.network.create_subnet_pool(name="auto-v4", prefixes=["10.210.0.0/16"],
                                            default_prefix_length=26, is_shared=True,
                                            is_default=True)
    made: list[str] = []  # projects whose topology is to go
    try:
        yield {"external": external, "pool": pool, "projects": made}
    finally:
        for project_id in made:
            admin.network.delete_auto_allocated_topology(project_id, ignore_missing=True)
        admin.network.delete_network(external.id)
        admin.network.delete_subnet_pool(pool.id)


def test_auto_gets_the_auto_allocated_network(net_cloud: ComputeCloud,
                                              auto_defaults: dict[str, Any]) -> None:
    user = make_member(net_cloud, "gman")
    auto_defaults["projects"].append(user.project_id)
    made = post_server(user.conn, {"name": "auto", "imageRef": net_cloud.image_id,
                                   "flavorRef": flavor(net_cloud), "networks": "auto"})
    assert made.status_code == 202, made.text
    server = active(net_cloud, user.conn, made.json()["server"]["id"])
    assert list(server.addresses) == ["auto_allocated_network"]
    [port] = list(net_cloud.conn.network.ports(device_id=server.id))
    net = user.conn.network.get_network(port.network_id)
    assert net.name == "auto_allocated_network" and net.project_id == user.project_id
    # It is the project's topology, as Neutron reports it.
    shown = user.conn.network.get_auto_allocated_topology(user.project_id)
    assert shown.id == net.id
    subnet = user.conn.network.get_subnet(port.fixed_ips[0]["subnet_id"])
    assert subnet.subnet_pool_id == auto_defaults["pool"].id
    gone(net_cloud, user.conn, server.id)
