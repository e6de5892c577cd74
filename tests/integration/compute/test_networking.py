"""Servers with ports: creating a server on a network (or with a port) plugs it, its
addresses show, deleting it removes what it made, and Nova's errors for bad requests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from tests.integration.compute.conftest import HOST, ComputeCloud, Member, make_member
from tests.support import wait_for


@dataclass
class Net:
    id: str
    name: str
    subnet_id: str


@pytest.fixture(scope="module")
def owner(net_cloud: ComputeCloud) -> Member:
    return make_member(net_cloud, "netowner")


def make_net(conn: Any, cidr: str, **extra: Any) -> Net:
    name = "net-" + uuid.uuid4().hex[:6]
    net = conn.network.create_network(name=name, **extra)
    sub = conn.network.create_subnet(network_id=net.id, ip_version=4, cidr=cidr,
                                     dns_nameservers=["192.0.2.53"])
    return Net(net.id, name, sub.id)


@pytest.fixture(scope="module")
def net(owner: Member) -> Net:
    return make_net(owner.conn, "10.61.0.0/24")


def boot(cc: ComputeCloud, conn: Any, networks: Any, **extra: Any) -> Any:
    server = conn.compute.create_server(name="s-" + uuid.uuid4().hex[:6],
                                        image_id=cc.image_id, flavor_id=flavor(cc),
                                        networks=networks, **extra)
    return server


def flavor(cc: ComputeCloud) -> str:
    found = cc.conn.compute.find_flavor("net-tiny")
    if found is None:
        found = cc.conn.compute.create_flavor(name="net-tiny", ram=64, vcpus=1, disk=1)
    return str(found.id)


def active(cc: ComputeCloud, conn: Any, server_id: str) -> Any:
    wait_for(lambda: conn.compute.get_server(server_id).status == "ACTIVE", 30,
             f"server {server_id} to be ACTIVE")
    return conn.compute.get_server(server_id)


def gone(cc: ComputeCloud, conn: Any, server_id: str) -> None:
    conn.compute.delete_server(server_id)
    wait_for(lambda: conn.compute.find_server(server_id) is None, 30, "the server to go")


def taps(cc: ComputeCloud, server_id: str) -> set[str]:
    return {v.tap for v in cc.driver.vifs(server_id)}


def error(response: Any) -> tuple[int, str]:
    data = response.json()
    return response.status_code, next(iter(data.values()))["message"]


def post_server(conn: Any, body: dict[str, Any], microversion: str = "2.37") -> Any:
    return conn.compute.post("/servers", json={"server": body},
                             microversion=microversion)


def test_a_server_on_a_network_gets_a_bound_port_and_shows_its_address(
        net_cloud: ComputeCloud, owner: Member, net: Net) -> None:
    made = boot(net_cloud, owner.conn, [{"uuid": net.id}])
    server = active(net_cloud, owner.conn, made.id)
    ports = list(net_cloud.conn.network.ports(device_id=server.id))
    assert len(ports) == 1
    port = ports[0]
    assert port.device_owner == "compute:nova"
    assert port.binding_host_id == HOST and port.binding_vif_type == "bridge"
    assert port.project_id == owner.project_id
    [entry] = server.addresses[net.name]
    assert entry == {"version": 4, "addr": port.fixed_ips[0]["ip_address"],
                     "OS-EXT-IPS:type": "fixed", "OS-EXT-IPS-MAC:mac_addr": port.mac_address}
    # An update's answer has plain addresses until 2.75 made it like show.
    for version, keys in (("2.74", {"version", "addr"}), ("2.75", set(entry))):
        updated = owner.conn.compute.put(f"/servers/{server.id}", microversion=version,
                                         json={"server": {"name": "renamed"}})
        assert set(updated.json()["server"]["addresses"][net.name][0]) == keys
    assert [g["name"] for g in server.security_groups] == ["default"]
    # The agent plugged it: a tap named after the port, on the network's bridge.
    [vif] = net_cloud.driver.vifs(server.id)
    assert (vif.tap, vif.bridge, vif.mac_address) == (
        "tap" + port.id[:11], "brq" + net.id[:11], port.mac_address)
    # Admins may ask to push network settings (nothing to push); members may not.
    inject = {"injectNetworkInfo": None}
    assert net_cloud.conn.compute.post(f"/servers/{server.id}/action",
                                       json=inject).status_code == 202
    assert owner.conn.compute.post(f"/servers/{server.id}/action",
                                   json=inject).status_code == 403
    gone(net_cloud, owner.conn, server.id)
    assert net_cloud.conn.network.find_port(port.id) is None


def test_the_cli_lists_addresses_and_a_fixed_ip_is_honoured(
        net_cloud: ComputeCloud, owner: Member, net: Net) -> None:
    created = net_cloud.cloud.openstack(
        "server", "create", "--image", net_cloud.image_id, "--flavor", flavor(net_cloud),
        "--nic", f"net-id={net.id},v4-fixed-ip=10.61.0.77", "--wait", "cli-server")
    admin = net_cloud.conn  # the CLI is the admin: its server is in its project
    made = admin.compute.get_server(created["id"])
    shown = net_cloud.cloud.openstack("server", "show", made.id)
    assert shown["addresses"] == {net.name: ["10.61.0.77"]}
    ips = admin.compute.get(f"/servers/{made.id}/ips").json()["addresses"]
    assert ips[net.name][0]["addr"] == "10.61.0.77"
    assert [s.id for s in admin.compute.servers(ip="10.61.0.7[7]")] == [made.id]
    assert list(admin.compute.servers(ip="10.61.0.78")) == []
    # The same address again: Nova's 400.
    status, message = error(post_server(owner.conn, {
        "name": "dup", "imageRef": net_cloud.image_id, "flavorRef": flavor(net_cloud),
        "networks": [{"uuid": net.id, "fixed_ip": "10.61.0.77"}]}))
    assert status == 400 and "10.61.0.77 is already in use" in message
    gone(net_cloud, admin, made.id)


def test_a_given_port_is_kept_unbound_when_the_server_goes(
        net_cloud: ComputeCloud, owner: Member, net: Net) -> None:
    port = owner.conn.network.create_port(network_id=net.id)
    made = boot(net_cloud, owner.conn, [{"port": port.id}])
    server = active(net_cloud, owner.conn, made.id)
    assert server.addresses[net.name][0]["OS-EXT-IPS-MAC:mac_addr"] == port.mac_address
    # In use now: another server cannot have it.
    status, message = error(post_server(owner.conn, {
        "name": "again", "imageRef": net_cloud.image_id, "flavorRef": flavor(net_cloud),
        "networks": [{"port": port.id}]}))
    assert (status, message) == (409, f"Port {port.id} is still in use.")
    gone(net_cloud, owner.conn, server.id)
    kept = net_cloud.conn.network.get_port(port.id)
    assert kept.device_id == "" and kept.binding_host_id == ""


def test_bad_network_requests_answer_as_nova(net_cloud: ComputeCloud, owner: Member,
                                            net: Net) -> None:
    base = {"name": "bad", "imageRef": net_cloud.image_id, "flavorRef": flavor(net_cloud)}
    missing = str(uuid.uuid4())
    assert error(post_server(owner.conn, {**base, "networks": [{"uuid": missing}]})) == (
        400, f"Network {missing} could not be found.")
    assert error(post_server(owner.conn, {**base, "networks": [{"port": missing}]})) == (
        400, f"Port id {missing} could not be found.")
    status, _ = error(post_server(owner.conn, {**base, "networks": [{"uuid": "x"}]}))
    assert status == 400
    status, message = error(post_server(owner.conn, base))  # 2.37 needs networks
    assert status == 400 and "networks" in message
    for networks in ([{"uuid": net.id}], "none"):  # refused even with no port to carry it
        status, message = error(post_server(owner.conn, {**base, "security_groups": [
            {"name": "no-such-group"}], "networks": networks}))
        assert (status, message) == (400, "Security group no-such-group not found.")


def test_auto_takes_the_only_network_and_refuses_ambiguity(net_cloud: ComputeCloud) -> None:
    user = make_member(net_cloud, "auto")
    base = {"name": "auto", "imageRef": net_cloud.image_id, "flavorRef": flavor(net_cloud),
            "networks": "auto"}
    assert error(post_server(user.conn, base)) == (
        400, f"Unable to automatically allocate a network for project {user.project_id}")
    only = make_net(user.conn, "10.62.0.0/24")
    made = post_server(user.conn, base).json()["server"]
    server = active(net_cloud, user.conn, made["id"])
    assert list(server.addresses) == [only.name]
    make_net(user.conn, "10.63.0.0/24")
    status, message = error(post_server(user.conn, base))
    assert status == 409 and message.startswith("More than one possible network found.")
    # "none": no NIC at all.
    bare = post_server(user.conn, {**base, "networks": "none"}).json()["server"]
    assert active(net_cloud, user.conn, bare["id"]).addresses == {}
    gone(net_cloud, user.conn, server.id)
    gone(net_cloud, user.conn, bare["id"])


def test_port_quota_is_a_403(net_cloud: ComputeCloud) -> None:
    user = make_member(net_cloud, "quota")
    mine = make_net(user.conn, "10.64.0.0/24")
    net_cloud.conn.network.update_quota(user.project_id, ports=0)
    status, message = error(post_server(user.conn, {
        "name": "q", "imageRef": net_cloud.image_id, "flavorRef": flavor(net_cloud),
        "networks": [{"uuid": mine.id}]}))
    assert (status, message) == (403, "Maximum number of ports exceeded")


def test_interfaces_attach_and_detach_on_a_running_server(
        net_cloud: ComputeCloud, owner: Member, net: Net) -> None:
    other = make_net(owner.conn, "10.65.0.0/24")
    made = boot(net_cloud, owner.conn, [{"uuid": net.id}])
    server = active(net_cloud, owner.conn, made.id)
    attached = owner.conn.compute.create_server_interface(server, net_id=other.id)
    assert attached.net_id == other.id and attached.fixed_ips
    wait_for(lambda: "tap" + attached.port_id[:11] in taps(net_cloud, server.id), 30,
             "the agent to hot-plug the port")
    listed = {i.port_id for i in owner.conn.compute.server_interfaces(server)}
    assert attached.port_id in listed and len(listed) == 2
    assert set(owner.conn.compute.get_server(server.id).addresses) == {net.name, other.name}
    owner.conn.compute.delete_server_interface(attached.port_id, server=server)
    wait_for(lambda: "tap" + attached.port_id[:11] not in taps(net_cloud, server.id), 30,
             "the agent to unplug the port")
    assert net_cloud.conn.network.find_port(attached.port_id) is None
    # Attaching a port in use, or one that does not exist, answers as Nova does.
    first = next(iter(listed - {attached.port_id}))
    response = owner.conn.compute.post(f"/servers/{server.id}/os-interface",
                                       json={"interfaceAttachment": {"port_id": first}})
    assert response.status_code == 409
    response = owner.conn.compute.post(
        f"/servers/{server.id}/os-interface",
        json={"interfaceAttachment": {"net_id": str(uuid.uuid4())}})
    assert response.status_code == 404
    gone(net_cloud, owner.conn, server.id)


def test_security_group_actions(net_cloud: ComputeCloud, owner: Member, net: Net) -> None:
    group = owner.conn.network.create_security_group(name="web-" + uuid.uuid4().hex[:4])
    made = boot(net_cloud, owner.conn, [{"uuid": net.id}])
    server = active(net_cloud, owner.conn, made.id)
    owner.conn.compute.add_security_group_to_server(server, group)
    names = {g["name"] for g in owner.conn.compute.get_server(server.id).security_groups}
    assert names == {"default", group.name}
    listed = owner.conn.compute.get(f"/servers/{server.id}/os-security-groups").json()
    assert {g["name"] for g in listed["security_groups"]} == {"default", group.name}
    again = owner.conn.compute.post(f"/servers/{server.id}/action",
                                    json={"addSecurityGroup": {"name": group.name}})
    assert again.status_code == 400
    owner.conn.compute.remove_security_group_from_server(server, group)
    port = next(iter(net_cloud.conn.network.ports(device_id=server.id)))
    assert group.id not in port.security_group_ids
    missing = owner.conn.compute.post(f"/servers/{server.id}/action",
                                      json={"addSecurityGroup": {"name": "nope"}})
    assert missing.status_code == 404
    # Without any group left, Nova shows no security_groups at all.
    owner.conn.compute.post(f"/servers/{server.id}/action",
                            json={"removeSecurityGroup": {"name": "default"}})
    shown = owner.conn.compute.get(f"/servers/{server.id}").json()["server"]
    assert "security_groups" not in shown
    gone(net_cloud, owner.conn, server.id)


def test_a_port_neutron_refuses_leaves_the_server_in_error(
        net_cloud: ComputeCloud, owner: Member, net: Net) -> None:
    made = post_server(owner.conn, {
        "name": "outside", "imageRef": net_cloud.image_id, "flavorRef": flavor(net_cloud),
        "networks": [{"uuid": net.id, "fixed_ip": "10.99.0.5"}]})
    assert made.status_code == 202
    server_id = made.json()["server"]["id"]
    wait_for(lambda: owner.conn.compute.get_server(server_id).status == "ERROR", 30,
             "the server to fail")
    fault = owner.conn.compute.get_server(server_id).fault
    assert "Failed to allocate the network(s)" in fault["message"]
    assert list(net_cloud.conn.network.ports(device_id=server_id)) == []
    gone(net_cloud, owner.conn, server_id)


def test_a_new_guest_runs_only_once_its_ports_are_wired(net_cloud: ComputeCloud,
                                                         owner: Member, net: Net) -> None:
    """Where a network agent serves the host, the guest starts paused and runs when the
    agent reports its port ACTIVE (Nova's vif-plugged wait)."""
    from runtime.network.agent.controller import ControllerClient
    from runtime.network.service.agents import load_or_create_secret

    cc = net_cloud
    l2 = ControllerClient(cc.cloud.url, load_or_create_secret(cc.cloud.state), HOST)
    l2.report({"agent_type": "Linux bridge agent", "binary": "neutron-linuxbridge-agent",
               "topic": "N/A", "availability_zone": "nova", "configurations": {}})
    cc.driver.plugs_vifs = True  # as libvirt's real taps are
    try:
        server = owner.conn.compute.create_server(
            name="wired", image_id=cc.image_id, flavor_id="42", networks=[{"uuid": net.id}])
        wait_for(lambda: cc.driver.guests().get(server.id) is not None, 30, "the guest")
        (port,) = owner.conn.network.ports(device_id=server.id)
        # Defined and paused, its port not yet wired: the server is still building.
        assert cc.driver.guests()[server.id].name == "PAUSED"
        assert owner.conn.compute.get_server(server.id).status == "BUILD"
        l2.port_status({port.id: "ACTIVE"})
        cc.wait_status(server.id, "ACTIVE")
        assert cc.driver.guests()[server.id].name == "RUNNING"
        owner.conn.compute.delete_server(server.id)
        cc.wait_gone(server.id)
    finally:
        cc.driver.plugs_vifs = False
