"""Every server action on a real guest leaves the domain as the API says: reboot, pause,
suspend, rescue, resize (confirm and revert), rebuild; and a snapshot boots."""

from __future__ import annotations

import pytest

from tests.e2e.compute.conftest import LiveCloud
from tests.e2e.compute.test_libvirt_boot import boot, domain_state, wait_banner
from tests.support import wait_for

pytestmark = pytest.mark.slow
RUNNING, PAUSED, SHUTOFF = 1, 3, 5


def domain_memory_mb(server_id: str) -> int:
    import libvirt

    conn = libvirt.open("qemu:///system")
    try:
        return int(conn.lookupByName(f"haneul-{server_id}").info()[1]) // 1024
    finally:
        conn.close()


def test_actions_on_a_real_guest(live_cloud: LiveCloud) -> None:
    live, compute = live_cloud, live_cloud.conn.compute
    server_id, _ = boot(live, "e2e-actions", "ACTIONS")
    live.wait_status(server_id, "ACTIVE")
    wait_banner(live, server_id)
    boots = 1

    compute.reboot_server(server_id, "SOFT")
    live.wait_status(server_id, "ACTIVE")
    boots += 1
    wait_banner(live, server_id, boots)

    compute.pause_server(server_id)
    live.wait_status(server_id, "PAUSED")
    assert domain_state(server_id) == PAUSED
    compute.unpause_server(server_id)
    live.wait_status(server_id, "ACTIVE")
    assert domain_state(server_id) == RUNNING

    compute.suspend_server(server_id)
    assert live.wait_status(server_id, "SUSPENDED").power_state == 7
    assert domain_state(server_id) == SHUTOFF  # saved to disk
    compute.resume_server(server_id)
    live.wait_status(server_id, "ACTIVE")
    assert domain_state(server_id) == RUNNING

    compute.rescue_server(server_id)
    live.wait_status(server_id, "RESCUE")
    boots += 1
    wait_banner(live, server_id, boots)
    compute.unrescue_server(server_id)
    live.wait_status(server_id, "ACTIVE")
    boots += 1
    wait_banner(live, server_id, boots)

    compute.resize_server(server_id, "2")  # m1.tiny -> m1.small
    live.wait_status(server_id, "VERIFY_RESIZE")
    assert domain_memory_mb(server_id) == 2048 and domain_state(server_id) == RUNNING
    compute.revert_server_resize(server_id)
    live.wait_status(server_id, "ACTIVE")
    assert domain_memory_mb(server_id) == 512
    compute.resize_server(server_id, "2")
    live.wait_status(server_id, "VERIFY_RESIZE")
    compute.confirm_server_resize(server_id)
    assert live.wait_status(server_id, "ACTIVE").flavor.original_name == "m1.small"
    assert domain_memory_mb(server_id) == 2048
    assert not (live.instances / server_id / "disk.orig").exists()
    boots += 3
    wait_banner(live, server_id, boots)

    compute.rebuild_server(server_id, image=live.image_id, name="e2e-rebuilt")
    # A new name, but the hostname stays (as in Nova, until 2.90 sets it).
    assert live.wait_status(server_id, "ACTIVE").name == "e2e-rebuilt"
    boots += 1
    wait_banner(live, server_id, boots)
    assert not (live.instances / server_id / "disk.rescue").exists()

    image = compute.create_server_image(server_id, "e2e-snapshot")
    assert live.conn.image.get_image(image.id).status == "active"
    clone, _ = boot_from(live, image.id)
    wait_banner(live, clone)

    for sid in (server_id, clone):
        compute.delete_server(sid)
    for sid in (server_id, clone):
        wait_for(lambda s=sid: compute.find_server(s) is None, 60, "the delete")
        assert domain_state(sid) is None
    live.conn.image.delete_image(image.id)


def boot_from(live: LiveCloud, image_id: str) -> tuple[str, float]:
    saved = live.image_id
    live.image_id = image_id
    try:
        # The snapshot's min_disk is its server's root disk (m1.small's 20 GB).
        server_id, started = boot(live, "e2e-clone", "CLONE", flavor="2")
    finally:
        live.image_id = saved
    live.wait_status(server_id, "ACTIVE")
    return server_id, started
