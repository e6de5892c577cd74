"""The internal API of the network agents: registration, the long-polled desired state
of a host (with DHCP and router scheduling), DHCP ports, router claims, port status and
the metadata service behind the agents' proxies."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.network.conftest import NetApi, in_process

SECRET = "agent-test-secret"
INTERNAL = "/networking/internal/v1"


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("network-agents")


@pytest.fixture(scope="module")
def api(state_dir: Path) -> Iterator[NetApi]:
    yield from in_process(state_dir, agent_secret=SECRET)


def internal(api: NetApi, method: str, path: str, secret: str = SECRET, **kw: Any) -> Any:
    return api.client.request(method, INTERNAL + path,
                              headers={"X-Haneul-Agent-Secret": secret, **kw.pop("headers",
                                                                                 {})}, **kw)


def register(api: NetApi, host: str, *types: str) -> None:
    binaries = {"Linux bridge agent": "neutron-linuxbridge-agent",
                "DHCP agent": "neutron-dhcp-agent", "L3 agent": "neutron-l3-agent"}
    for agent_type in types:
        config = {"tunneling_ip": f"192.0.2.{len(host)}"} \
            if agent_type == "Linux bridge agent" else {}
        r = internal(api, "POST", "/agents", json={
            "agent_type": agent_type, "binary": binaries[agent_type], "host": host,
            "topic": "N/A", "configurations": config, "start_flag": True})
        assert r.status_code == 200, r.text


def state(api: NetApi, host: str, since: int = -1, wait: float = 0) -> dict[str, Any]:
    r = internal(api, "GET", f"/hosts/{host}/state?since={since}&wait={wait}")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


@pytest.fixture(scope="module")
def hosts(api: NetApi) -> tuple[str, str]:
    register(api, "netnode", "Linux bridge agent", "DHCP agent", "L3 agent")
    register(api, "compute-9", "Linux bridge agent")
    return "netnode", "compute-9"


def test_the_secret_is_required(api: NetApi) -> None:
    assert internal(api, "GET", "/hosts/x/state", secret="wrong").status_code == 401
    r = api.client.get(INTERNAL + "/hosts/x/state")
    assert r.status_code == 401


def test_agents_show_as_neutron_agents(api: NetApi, hosts: tuple[str, str]) -> None:
    agents = api.net("GET", "/agents").json()["agents"]
    seen = {(a["binary"], a["host"], a["alive"]) for a in agents}
    assert ("neutron-linuxbridge-agent", "netnode", True) in seen
    assert ("neutron-dhcp-agent", "netnode", True) in seen
    assert ("neutron-l3-agent", "netnode", True) in seen
    assert ("neutron-linuxbridge-agent", "compute-9", True) in seen


def test_long_poll_returns_on_a_write_and_at_its_timeout(api: NetApi,
                                                         hosts: tuple[str, str]) -> None:
    current = state(api, "compute-9")["generation"]
    started = time.monotonic()
    assert state(api, "compute-9", current, 0.3)["generation"] == current
    assert time.monotonic() - started >= 0.3

    results: dict[str, Any] = {}

    def poll() -> None:
        results["state"] = state(api, "compute-9", current, 20)
        results["at"] = time.monotonic()

    thread = threading.Thread(target=poll)
    thread.start()
    # Whether the poll is already waiting or not, the write must end it within 2 s.
    written = time.monotonic()
    api.create("network", None, name="wakes-the-poll")
    thread.join(20)
    assert results["state"]["generation"] > current
    assert results["at"] - written < 2


def test_desired_state_of_hosts(api: NetApi, hosts: tuple[str, str]) -> None:
    netnode, compute = hosts
    net = api.create("network", None, name="app")
    sub = api.create("subnet", None, network_id=net["id"], ip_version=4,
                     cidr="10.40.0.0/24", dns_nameservers=["9.9.9.9"])
    sg = api.create("security_group", None, name="web")
    api.create("security_group_rule", None, security_group_id=sg["id"], direction="ingress",
               protocol="tcp", port_range_min=22, port_range_max=22,
               remote_group_id=sg["id"])
    guest = api.create("port", None, network_id=net["id"], security_groups=[sg["id"]],
                       device_owner="compute:nova", device_id=str(uuid.uuid4()),
                       **{"binding:host_id": compute})

    # DHCP is scheduled to the host with a DHCP agent; it asks for its port.
    at_net = state(api, netnode)
    served = next(n for n in at_net["networks"] if n["id"] == net["id"])
    assert served["dhcp"] and served["network_type"] == "vxlan"
    assert served["subnets"][0]["dns_nameservers"] == ["9.9.9.9"]
    r = internal(api, "PUT", f"/hosts/{netnode}/networks/{net['id']}/dhcp-port", json={})
    assert r.status_code == 200, r.text
    dhcp_port = api.net("GET", f"/ports/{r.json()['port_id']}").json()["port"]
    assert dhcp_port["device_owner"] == "network:dhcp"
    assert dhcp_port["binding:host_id"] == netnode and dhcp_port["status"] == "ACTIVE"
    assert dhcp_port["fixed_ips"][0]["subnet_id"] == sub["id"]
    again = internal(api, "PUT", f"/hosts/{netnode}/networks/{net['id']}/dhcp-port", json={})
    assert again.json()["port_id"] == dhcp_port["id"]  # idempotent
    assert internal(api, "PUT", f"/hosts/{compute}/networks/{net['id']}/dhcp-port",
                    json={}).status_code == 409

    # The compute host gets the network of its port, the rules, resolved remote group
    # members and the other host's tunnel endpoint; no DHCP.
    at_cmp = state(api, compute)
    mine = next(n for n in at_cmp["networks"] if n["id"] == net["id"])
    assert not mine["dhcp"]
    port = next(p for p in at_cmp["ports"] if p["id"] == guest["id"])
    assert port["host"] == compute and port["security_groups"] == [sg["id"]]
    rules = at_cmp["security_groups"][sg["id"]]["rules"]
    assert any(r["port_range_min"] == 22 for r in rules)
    assert at_cmp["remote_groups"][sg["id"]] == [guest["fixed_ips"][0]["ip_address"]]
    assert {"host": netnode, "ip": "192.0.2.7"} in at_cmp["tunnel_endpoints"]


def test_routers_are_scheduled_and_claimed(api: NetApi, hosts: tuple[str, str]) -> None:
    netnode, compute = hosts
    net = api.create("network", None, name="routed")
    sub = api.create("subnet", None, network_id=net["id"], ip_version=4, cidr="10.41.0.0/24")
    router = api.create("router", None, name="r1")
    r = api.net("PUT", f"/routers/{router['id']}/add_router_interface",
                json={"subnet_id": sub["id"]})
    assert r.status_code == 200, r.text
    at_net = state(api, netnode)
    planned = next(x for x in at_net["routers"] if x["id"] == router["id"])
    assert planned["interfaces"][0]["fixed_ips"][0]["ip_address"] == "10.41.0.1"
    assert next(n for n in at_net["networks"] if n["id"] == net["id"])["routed"]
    assert all(x["id"] != router["id"] for x in state(api, compute)["routers"])
    r = internal(api, "PUT", f"/hosts/{netnode}/routers/{router['id']}", json={})
    assert r.status_code == 200, r.text
    port = api.net("GET", f"/ports/{r.json()['ports'][0]}").json()["port"]
    assert port["binding:host_id"] == netnode and port["binding:vif_type"] == "bridge"


def test_port_status_reports_change_no_generation(api: NetApi,
                                                  hosts: tuple[str, str]) -> None:
    _, compute = hosts
    net = api.create("network", None, name="status")
    api.create("subnet", None, network_id=net["id"], ip_version=4, cidr="10.42.0.0/24")
    port = api.create("port", None, network_id=net["id"], device_owner="compute:nova",
                      **{"binding:host_id": compute})
    other = api.create("port", None, network_id=net["id"])
    assert port["status"] == "DOWN"
    before = state(api, compute)["generation"]
    r = internal(api, "POST", f"/hosts/{compute}/ports/status",
                 json={"ports": {port["id"]: "ACTIVE", other["id"]: "ACTIVE"}})
    assert r.json()["ports"] == {port["id"]: "ACTIVE"}  # not bound here: ignored
    assert api.net("GET", f"/ports/{port['id']}").json()["port"]["status"] == "ACTIVE"
    assert api.net("GET", f"/ports/{other['id']}").json()["port"]["status"] == "DOWN"
    assert state(api, compute)["generation"] == before
    bad = internal(api, "POST", f"/hosts/{compute}/ports/status",
                   json={"ports": {port["id"]: "SPARKLING"}})
    assert bad.status_code == 400


def test_metadata_resolves_the_instance_by_network_and_address(
        api: NetApi, hosts: tuple[str, str], state_dir: Path) -> None:
    from runtime.common.db import Database
    from runtime.compute import models as cm

    # The servers as compute recorded them (this app serves no compute API).
    db = Database(f"sqlite:///{state_dir / 'haneul.db'}")
    ids = []
    nets = []
    for name in ("left", "right"):
        net = api.create("network", None, name=f"md-{name}")
        sub = api.create("subnet", None, network_id=net["id"], ip_version=4,
                         cidr="10.43.0.0/24")
        server_id = str(uuid.uuid4())
        with db.session() as s:
            s.add(cm.Server(id=server_id, name=name, hostname=name, project_id="p",
                            user_id="u", flavor_id="f", vm_state="active",
                            user_data=base64.b64encode(name.encode()).decode()))
        api.create("port", None, network_id=net["id"], device_owner="compute:nova",
                   device_id=server_id,
                   fixed_ips=[{"subnet_id": sub["id"], "ip_address": "10.43.0.50"}])
        ids.append(server_id)
        nets.append(net["id"])
    for net_id, server_id, name in zip(nets, ids, ("left", "right"), strict=True):
        headers = {"X-Neutron-Network-ID": net_id, "X-Forwarded-For": "10.43.0.50"}
        r = internal(api, "GET", "/metadata/openstack/latest/meta_data.json", headers=headers)
        assert r.status_code == 200, r.text
        assert json.loads(r.content)["uuid"] == server_id
        r = internal(api, "GET", "/metadata/latest/user-data", headers=headers)
        assert r.content == name.encode()
    r = internal(api, "GET", "/metadata/latest/meta-data/instance-id",
                 headers={"X-Neutron-Network-ID": nets[0], "X-Forwarded-For": "10.43.0.51"})
    assert r.status_code == 404
    assert api.client.get(INTERNAL + "/metadata/latest/meta-data/").status_code == 401
    db.dispose()
