"""Rescue, resize (confirm and revert), rebuild, snapshots and server groups through
openstacksdk, against the fake hypervisor."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from openstack import exceptions

from tests.integration.compute.conftest import ComputeCloud
from tests.integration.compute.test_servers import boot
from tests.support import wait_for


def active(cc: ComputeCloud, **kw: Any) -> Any:
    return cc.wait_status(boot(cc, **kw).id, "ACTIVE")


def delete(cc: ComputeCloud, *servers: Any) -> None:
    for server in servers:
        cc.conn.compute.delete_server(server)
    for server in servers:
        cc.wait_gone(server.id)


def test_rescue_and_unrescue(compute_cloud: ComputeCloud) -> None:
    cc = compute_cloud
    server = active(cc)
    cc.conn.compute.rescue_server(server)
    cc.wait_status(server.id, "RESCUE")
    assert cc.driver._guests[server.id].spec.rescue.image_id == cc.image_id
    cc.conn.compute.unrescue_server(server)
    cc.wait_status(server.id, "ACTIVE")
    assert cc.driver._guests[server.id].spec.rescue is None
    delete(cc, server)


def test_resize_confirm_and_revert(compute_cloud: ComputeCloud) -> None:
    cc = compute_cloud
    server = active(cc)  # m1.nano: 128 MB
    cc.conn.compute.resize_server(server, "84")  # m1.micro: 192 MB
    resized = cc.wait_status(server.id, "VERIFY_RESIZE")
    assert resized.flavor.original_name == "m1.micro"
    assert cc.driver._guests[server.id].spec.memory_mb == 192
    cc.conn.compute.revert_server_resize(server)
    reverted = cc.wait_status(server.id, "ACTIVE")
    assert reverted.flavor.original_name == "m1.nano"
    assert cc.driver._guests[server.id].spec.memory_mb == 128
    cc.conn.compute.resize_server(server, "84")
    cc.wait_status(server.id, "VERIFY_RESIZE")
    cc.conn.compute.confirm_server_resize(server)
    assert cc.wait_status(server.id, "ACTIVE").flavor.original_name == "m1.micro"
    with pytest.raises(exceptions.BadRequestException, match="must change flavor"):
        cc.conn.compute.resize_server(server, "84")
    moves = [(g.status, g.old_flavor_id, g.new_flavor_id)
             for g in cc.conn.compute.migrations(instance_uuid=server.id)]
    assert moves == [("confirmed", 42, 84), ("reverted", 42, 84)]
    delete(cc, server)


def test_resize_of_a_stopped_server_leaves_it_stopped(compute_cloud: ComputeCloud) -> None:
    cc = compute_cloud
    server = active(cc)
    cc.conn.compute.stop_server(server)
    cc.wait_status(server.id, "SHUTOFF")
    cc.conn.compute.resize_server(server, "84")
    cc.wait_status(server.id, "VERIFY_RESIZE")
    cc.conn.compute.confirm_server_resize(server)
    assert cc.wait_status(server.id, "SHUTOFF").power_state == 4
    delete(cc, server)


def test_rebuild_with_a_new_name_and_metadata(compute_cloud: ComputeCloud) -> None:
    cc = compute_cloud
    server = active(cc)
    cc.conn.compute.rebuild_server(server, image=cc.image_id, name="rebuilt",
                                   metadata={"v": "2"})
    rebuilt = cc.wait_status(server.id, "ACTIVE")
    assert rebuilt.name == "rebuilt" and rebuilt.metadata == {"v": "2"}
    assert "rebuild" in [a.action for a in cc.conn.compute.server_actions(server)]
    delete(cc, server)


def test_snapshot_becomes_an_image_that_boots(compute_cloud: ComputeCloud) -> None:
    cc = compute_cloud
    server = active(cc)
    name = "snap-" + uuid.uuid4().hex[:6]
    image = cc.conn.compute.create_server_image(server, name, metadata={"why": "test"})
    wait_for(lambda: (cc.conn.image.find_image(image.id) or image).status == "active", 30,
             "the snapshot image to be active")
    snap = cc.conn.image.get_image(image.id)
    assert snap.name == name and snap.properties["image_type"] == "snapshot"
    assert snap.instance_uuid == server.id
    assert snap.properties["why"] == "test"
    assert snap.owner == server.project_id
    assert cc.wait_status(server.id, "ACTIVE").task_state is None
    clone = active(cc, image_id=image.id)
    assert clone.image.id == image.id
    delete(cc, server, clone)
    cc.conn.image.delete_image(image)


def test_server_groups(compute_cloud: ComputeCloud) -> None:
    cc = compute_cloud
    together = cc.conn.compute.create_server_group(name="together", policy="affinity")
    apart = cc.conn.compute.create_server_group(name="apart", policy="anti-affinity")
    a = active(cc, scheduler_hints={"group": together.id})
    b = active(cc, scheduler_hints={"group": together.id})
    first = active(cc, scheduler_hints={"group": apart.id})
    # One compute host: a second anti-affine member has nowhere to go.
    second = cc.wait_status(boot(cc, scheduler_hints={"group": apart.id}).id, "ERROR")
    assert "No valid host was found" in second.fault["message"]
    assert sorted(cc.conn.compute.get_server_group(together.id).member_ids) == \
        sorted([a.id, b.id])
    delete(cc, a, b, first, second)
    cc.conn.compute.delete_server_group(together)
    cc.conn.compute.delete_server_group(apart)
