"""Real guests on libvirt (TCG here) through openstacksdk: boot the haneul-test image,
read its banner and user data on the console, stop and start it, delete it without a
trace. Timings are printed (pytest -s shows them)."""

from __future__ import annotations

import base64
import time
import uuid

import pytest

from runtime.compute.guest_image.banner import find_banner
from tests.e2e.compute.conftest import LiveCloud
from tests.e2e.compute.daemons import URI
from tests.support import wait_for

pytestmark = pytest.mark.slow
BANNER_TIMEOUT = 120.0


def boot(live: LiveCloud, name: str, marker: str, flavor: str = "1") -> tuple[str, float]:
    script = f"#!/bin/sh\necho {marker}\n".encode()
    started = time.monotonic()
    server = live.conn.compute.create_server(
        name=name, image_id=live.image_id, flavor_id=flavor, networks="none",
        user_data=base64.b64encode(script).decode(), config_drive=True)
    return server.id, started


def domain_state(server_id: str) -> int | None:
    import libvirt

    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)  # raised, not printed
    conn = libvirt.open(URI)
    try:
        return int(conn.lookupByName(f"haneul-{server_id}").state()[0])
    except libvirt.libvirtError:
        return None
    finally:
        conn.close()


def wait_banner(live: LiveCloud, server_id: str, count: int = 1) -> str:
    def booted() -> bool:
        return live.console(server_id).count(f"instance-id={server_id}") >= count

    wait_for(booted, BANNER_TIMEOUT, f"the banner of {server_id} (boot {count})")
    return live.console(server_id)


def test_boot_console_stop_start_delete(live_cloud: LiveCloud) -> None:
    live = live_cloud
    marker = "MARKER-" + uuid.uuid4().hex[:8]
    server_id, started = boot(live, "e2e-one", marker)
    server = live.wait_status(server_id, "ACTIVE")
    active_at = time.monotonic()
    text = wait_banner(live, server_id)
    banner_at = time.monotonic()
    print(f"\ncreate->ACTIVE {active_at - started:.2f}s, ACTIVE->banner "
          f"{banner_at - active_at:.2f}s")
    banner = find_banner(text)
    assert banner is not None and banner.instance_id == server_id
    assert banner.hostname == "e2e-one"
    wait_for(lambda: marker in live.console(server_id), 30, "the user data output")
    assert server.power_state == 1 and domain_state(server_id) == 1  # running

    live.conn.compute.stop_server(server_id)
    assert live.wait_status(server_id, "SHUTOFF").power_state == 4
    assert domain_state(server_id) == 5  # shut off, still defined
    live.conn.compute.start_server(server_id)
    live.wait_status(server_id, "ACTIVE")
    wait_banner(live, server_id, count=2)

    directory = live.instances / server_id
    assert (directory / "disk").exists() and (directory / "console.log").exists()
    live.conn.compute.delete_server(server_id)
    wait_for(lambda: live.conn.compute.find_server(server_id) is None, 60, "the delete")
    assert domain_state(server_id) is None
    assert not directory.exists()


def test_a_guest_that_powers_off_shows_shutoff(live_cloud: LiveCloud) -> None:
    live = live_cloud
    script = b"#!/bin/sh\necho bye\npoweroff\n"
    server = live.conn.compute.create_server(
        name="e2e-poweroff", image_id=live.image_id, flavor_id="1", networks="none",
        user_data=base64.b64encode(script).decode())
    live.wait_status(server.id, "ACTIVE")
    assert live.wait_status(server.id, "SHUTOFF", BANNER_TIMEOUT).power_state == 4
    live.conn.compute.delete_server(server)
    wait_for(lambda: live.conn.compute.find_server(server.id) is None, 60, "the delete")


def test_two_servers_boot_at_once(live_cloud: LiveCloud) -> None:
    live = live_cloud
    ids = [boot(live, f"e2e-pair-{i}", f"PAIR-{i}")[0] for i in range(2)]
    for server_id in ids:
        live.wait_status(server_id, "ACTIVE")
    for server_id in ids:
        banner = find_banner(wait_banner(live, server_id))
        assert banner is not None and banner.instance_id == server_id
    for server_id in ids:
        live.conn.compute.delete_server(server_id)
    for server_id in ids:
        wait_for(lambda s=server_id: live.conn.compute.find_server(s) is None, 60,
                 "the delete")
        assert domain_state(server_id) is None


def test_interactive_serial_console(live_cloud: LiveCloud) -> None:
    from websockets.sync.client import connect

    live = live_cloud
    server_id, _ = boot(live, "e2e-console", "CONSOLE")
    live.wait_status(server_id, "ACTIVE")
    wait_banner(live, server_id)
    url = live.conn.compute.create_console(server_id, console_type="serial")["url"]
    with connect(url, subprotocols=["binary"]) as ws:
        ws.send(b"\r")
        seen = b""
        # The guest's getty answers a bare return with its login prompt again.
        while b"login:" not in seen:
            seen += ws.recv(timeout=30)
    live.conn.compute.delete_server(server_id)
    wait_for(lambda: live.conn.compute.find_server(server_id) is None, 60, "the delete")
