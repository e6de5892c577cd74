"""The in-process facade compute uses to plug a server's ports."""

from __future__ import annotations

from typing import Any

from runtime.common.context import Context
from runtime.network.client import NetworkClient
from tests.integration.network.conftest import NetApi, User


def _ctx(net_api: NetApi, user: User) -> Context:
    runtime = net_api.client.app.state.runtime  # type: ignore[attr-defined]
    ctx = runtime.validator.context_for(user.token, "req-test")
    assert ctx is not None
    return ctx


def test_compute_creates_binds_and_deletes_a_server_port(
        net_api: NetApi, alice: User) -> None:
    net = net_api.create("network", alice.token)
    net_api.create("subnet", alice.token, network_id=net["id"], ip_version=4,
                   cidr="10.90.0.0/24")
    runtime: Any = net_api.client.app.state.runtime  # type: ignore[attr-defined]
    client = NetworkClient(runtime.state["network"])
    port = client.create_port(_ctx(net_api, alice), net["id"])
    assert port.fixed_ips[0]["ip_address"] == "10.90.0.2" and port.host == ""
    admin = _ctx(net_api, User("admin", "", net_api.token()))
    bound = client.bind(admin, port.id, device_id="server-1", device_owner="compute:nova",
                        host="node-7")
    assert bound.host == "node-7"
    assert [p.id for p in client.ports_of_device(_ctx(net_api, alice), "server-1")] == [
        port.id]
    shown = net_api.net("GET", f"/ports/{port.id}").json()["port"]
    assert shown["binding:host_id"] == "node-7" and shown["device_owner"] == "compute:nova"
    client.delete_port(_ctx(net_api, alice), port.id)
    assert net_api.net("GET", f"/ports/{port.id}").status_code == 404
