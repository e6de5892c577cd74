"""Host aggregates through openstacksdk: an aggregate's availability zone becomes the
zone of its hosts, which servers can then ask for."""

from __future__ import annotations

import pytest
from openstack import exceptions

from tests.integration.compute.conftest import HOST, ComputeCloud
from tests.integration.compute.test_server_lifecycle import active, delete


def zones(cc: ComputeCloud) -> list[str]:
    return sorted(z.name for z in cc.conn.compute.availability_zones())


def test_aggregate_zone_moves_its_hosts(compute_cloud: ComputeCloud) -> None:
    cc = compute_cloud
    conn = cc.conn.compute
    aggregate = conn.create_aggregate(name="rack-1", availability_zone="az-rack1")
    try:
        conn.add_host_to_aggregate(aggregate, HOST)
        assert zones(cc) == ["az-rack1"]
        server = active(cc, availability_zone="az-rack1")
        assert server.availability_zone == "az-rack1"
        with pytest.raises(exceptions.ConflictException):
            conn.add_host_to_aggregate(aggregate, HOST)
        with pytest.raises(exceptions.BadRequestException):
            conn.delete_aggregate(aggregate)  # it still has a host
        shown = conn.get_aggregate(aggregate.id)
        assert shown.hosts == [HOST] and shown.metadata == {"availability_zone": "az-rack1"}
        delete(cc, server)
    finally:
        conn.remove_host_from_aggregate(aggregate, HOST)
        conn.delete_aggregate(aggregate)
    assert zones(cc) == ["nova"]


def test_unknown_host_and_duplicate_name(compute_cloud: ComputeCloud) -> None:
    conn = compute_cloud.conn.compute
    aggregate = conn.create_aggregate(name="rack-2")
    with pytest.raises(exceptions.NotFoundException):
        conn.add_host_to_aggregate(aggregate, "no-such-host")
    with pytest.raises(exceptions.ConflictException):
        conn.create_aggregate(name="rack-2")
    conn.delete_aggregate(aggregate)
