"""The serial console: remote-consoles hands out a websocket URL, and the proxy behind
it joins the websocket to the guest's serial port (the fake guest greets and echoes)."""

from __future__ import annotations

import pytest
from openstack import exceptions
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.integration.compute.conftest import ComputeCloud
from tests.integration.compute.test_server_lifecycle import active, delete


def read_until(ws: object, needle: bytes) -> bytes:
    seen = b""
    while needle not in seen:
        seen += ws.recv(timeout=10)  # type: ignore[attr-defined]
    return seen


def test_serial_console_through_the_websocket_proxy(compute_cloud: ComputeCloud) -> None:
    cc = compute_cloud
    server = active(cc)
    found = cc.conn.compute.create_console(server, console_type="serial")
    url = found["url"]
    assert url.startswith("ws://127.0.0.1:") and "/compute/console/serial?token=" in url
    with connect(url, subprotocols=["binary"]) as ws:
        assert ws.subprotocol == "binary"
        assert f"instance-id={server.id}".encode() in read_until(ws, b"\n")
        ws.send(b"uname -a\n")
        assert b"echo: uname -a" in read_until(ws, b"uname -a")
    delete(cc, server)


def test_a_forged_token_is_refused(compute_cloud: ComputeCloud) -> None:
    url = compute_cloud.cloud.url.replace("http", "ws") + \
        "/compute/console/serial?token=abc.123.forged"
    with pytest.raises(InvalidStatus):
        connect(url).close()


def test_other_console_types_are_unavailable(compute_cloud: ComputeCloud) -> None:
    cc = compute_cloud
    server = active(cc)
    with pytest.raises(exceptions.BadRequestException, match="Unavailable console type"):
        cc.conn.compute.create_console(server, console_type="novnc")
    delete(cc, server)
