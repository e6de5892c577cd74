"""Servers through openstacksdk against the fake hypervisor: lifecycle, actions,
metadata and tags, instance actions, and refusals of bad requests and over-quota."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest
from openstack import exceptions

from runtime.compute.guest_image.banner import find_banner
from tests.integration.compute.conftest import ComputeCloud
from tests.support import wait_for


def boot(cc: ComputeCloud, conn: Any = None, **kw: Any) -> Any:
    conn = conn or cc.conn
    kw.setdefault("name", "srv-" + uuid.uuid4().hex[:6])
    kw.setdefault("image_id", cc.image_id)
    kw.setdefault("flavor_id", "42")
    kw.setdefault("networks", "none")
    return conn.compute.create_server(**kw)


def console(cc: ComputeCloud, server_id: str) -> str:
    return str(cc.conn.compute.get_server_console_output(server_id)["output"])


def test_server_lifecycle(compute_cloud: ComputeCloud) -> None:
    cc = compute_cloud
    user_data = base64.b64encode(b"#!/bin/sh\necho MARKER-1234\n").decode()
    server = boot(cc, user_data=user_data, metadata={"role": "web"})
    server = cc.wait_status(server.id, "ACTIVE")
    assert server.power_state == 1 and server.vm_state == "active"
    assert server.flavor.ram == 128 and server.flavor.original_name == "m1.nano"
    assert server.metadata == {"role": "web"}
    assert server.compute_host == "fake-compute-1"
    wait_for(lambda: "MARKER-1234" in console(cc, server.id), 10, "the user data marker")
    banner = find_banner(console(cc, server.id))
    assert banner is not None and banner.instance_id == server.id

    conn = cc.conn.compute
    conn.stop_server(server)
    assert cc.wait_status(server.id, "SHUTOFF").power_state == 4
    conn.start_server(server)
    cc.wait_status(server.id, "ACTIVE")
    conn.pause_server(server)
    cc.wait_status(server.id, "PAUSED")
    conn.unpause_server(server)
    cc.wait_status(server.id, "ACTIVE")
    conn.suspend_server(server)
    assert cc.wait_status(server.id, "SUSPENDED").power_state == 7
    conn.resume_server(server)
    cc.wait_status(server.id, "ACTIVE")
    conn.reboot_server(server, "HARD")
    cc.wait_status(server.id, "ACTIVE")
    actions = [a.action for a in conn.server_actions(server)]
    assert actions[0] == "reboot" and actions[-1] == "create"
    assert set(actions) >= {"stop", "start", "pause", "unpause", "suspend", "resume"}

    conn.delete_server(server)
    cc.wait_gone(server.id)
    assert server.id not in cc.driver.guests()


def test_actions_refused_in_the_wrong_state_and_when_locked(
        compute_cloud: ComputeCloud) -> None:
    cc = compute_cloud
    server = cc.wait_status(boot(cc).id, "ACTIVE")
    with pytest.raises(exceptions.ConflictException, match="while it is in vm_state active"):
        cc.conn.compute.start_server(server)
    cc.conn.compute.lock_server(server)
    assert cc.conn.compute.get_server(server.id).is_locked
    cc.conn.compute.unlock_server(server)
    cc.conn.compute.delete_server(server)
    cc.wait_gone(server.id)


def test_metadata_and_tags(compute_cloud: ComputeCloud) -> None:
    cc = compute_cloud
    server = cc.wait_status(boot(cc, metadata={"a": "1"}).id, "ACTIVE")
    conn = cc.conn.compute
    conn.set_server_metadata(server, b="2")
    assert conn.get_server_metadata(server).metadata == {"a": "1", "b": "2"}
    conn.delete_server_metadata(server, ["a"])
    assert conn.get_server_metadata(server).metadata == {"b": "2"}
    server.add_tag(cc.conn.compute, "blue")
    server.add_tag(cc.conn.compute, "green")
    assert sorted(conn.get_server(server.id).tags) == ["blue", "green"]
    tagged = [s.id for s in conn.servers(tags="blue")]
    assert tagged == [server.id]
    conn.delete_server(server)
    cc.wait_gone(server.id)


def test_list_filters_and_paging(compute_cloud: ComputeCloud) -> None:
    cc = compute_cloud
    made = [boot(cc, name=f"page-{i}") for i in range(3)]
    for s in made:
        cc.wait_status(s.id, "ACTIVE")
    names = [s.name for s in cc.conn.compute.servers(name="^page-")]
    assert sorted(names) == ["page-0", "page-1", "page-2"]
    # Newest first, as Nova sorts by default; the SDK follows the next links.
    paged = [s.name for s in cc.conn.compute.servers(name="^page-", limit=1)]
    assert paged == ["page-2", "page-1", "page-0"]
    assert list(cc.conn.compute.servers(status="SHUTOFF", name="^page-")) == []
    for s in made:
        cc.conn.compute.delete_server(s)
    for s in made:
        cc.wait_gone(s.id)


@pytest.mark.parametrize(("change", "message"), [
    ({"flavor_id": "no-such-flavor"}, "Invalid flavorRef provided."),
    ({"image_id": str(uuid.UUID(int=7))}, f"Image {uuid.UUID(int=7)} could not be found."),
    ({"key_name": "no-such-key"}, "Invalid key_name provided."),
    ({"availability_zone": "mars"}, "The requested availability zone is not available"),
])
def test_bad_references_are_400(compute_cloud: ComputeCloud, change: dict[str, str],
                                message: str) -> None:
    with pytest.raises(exceptions.BadRequestException) as err:
        boot(compute_cloud, **change)
    assert message in str(err.value)


def test_quota_is_enforced_with_novas_message(compute_cloud: ComputeCloud) -> None:
    cc = compute_cloud
    project = cc.conn.identity.create_project(name="quota-" + uuid.uuid4().hex[:6])
    user = cc.conn.identity.create_user(name="q-" + uuid.uuid4().hex[:6], password="pw-pw-pw",
                                        default_project_id=project.id)
    member = cc.conn.identity.find_role("member")
    cc.conn.identity.assign_project_role_to_user(project, user, member)
    cc.conn.compute.update_quota_set(project.id, instances=1, cores=4)
    conn = cc.cloud.sdk(username=user.name, password="pw-pw-pw", project_name=project.name)
    first = boot(cc, conn)
    with pytest.raises(exceptions.ForbiddenException) as err:
        boot(cc, conn)
    assert "Quota exceeded for instances: Requested 1, but already used 1 of 1 instances" \
        in str(err.value)
    limits = conn.compute.get_limits().absolute
    assert limits.instances == 1 and limits.instances_used == 1
    # Another project's servers stay invisible to this user.
    assert [s.id for s in conn.compute.servers()] == [first.id]
    conn.compute.delete_server(first)
    cc.wait_gone(first.id)


def test_a_guest_that_fails_to_start_is_error_with_a_fault(
        compute_cloud: ComputeCloud) -> None:
    cc = compute_cloud
    server = cc.wait_status(boot(cc, name="fail-to-spawn").id, "ERROR")
    assert "failed to start" in server.fault["message"]
    create = next(cc.conn.compute.server_actions(server))
    events = cc.conn.compute.get_server_action(create.request_id, server).events
    assert create.action == "create" and events[0]["result"] == "Error"
    cc.conn.compute.delete_server(server)
    cc.wait_gone(server.id)


def test_a_guest_that_powers_off_shows_shutoff(compute_cloud: ComputeCloud) -> None:
    cc = compute_cloud
    server = cc.wait_status(boot(cc).id, "ACTIVE")
    cc.driver.crash(server.id)
    assert cc.wait_status(server.id, "SHUTOFF").power_state == 4
    cc.conn.compute.delete_server(server)
    cc.wait_gone(server.id)


def test_a_restarted_agent_catches_up(compute_cloud: ComputeCloud) -> None:
    """What was asked while the agent was away is done when it is back: the agent
    converges on levels, not on messages it might have missed."""
    from tests.integration.compute.conftest import start_agent

    cc = compute_cloud
    keep = cc.wait_status(boot(cc).id, "ACTIVE")
    gone = cc.wait_status(boot(cc).id, "ACTIVE")
    cc.agent.stop()
    try:
        cc.conn.compute.delete_server(gone)
        cc.conn.compute.stop_server(keep)
        new = boot(cc)
        assert cc.conn.compute.get_server(new.id).status == "BUILD"
        assert gone.id in cc.driver.guests()  # nobody has acted yet
    finally:
        cc.agent = start_agent(cc.cloud, cc.driver)
    cc.wait_gone(gone.id)
    cc.wait_status(new.id, "ACTIVE")
    cc.wait_status(keep.id, "SHUTOFF")
    assert gone.id not in cc.driver.guests()
    for server in (keep, new):
        cc.conn.compute.delete_server(server)
        cc.wait_gone(server.id)
