"""Nova's proxies to the network service: os-networks, os-security-groups (and rules),
os-floating-ips and the add/removeFloatingIp actions, each gone after its microversion."""

from __future__ import annotations

import uuid

from tests.integration.compute.conftest import ComputeCloud, make_member
from tests.integration.compute.test_networking import active, boot, gone, make_net


def test_os_networks_lists_what_the_caller_sees_until_2_35(net_cloud: ComputeCloud) -> None:
    user = make_member(net_cloud, "osnet")
    mine = make_net(user.conn, "10.71.0.0/24")
    listed = user.conn.compute.get("/os-networks", microversion="2.1").json()["networks"]
    assert {"id": mine.id, "label": mine.name} in [
        {"id": n["id"], "label": n["label"]} for n in listed]
    shown = user.conn.compute.get(f"/os-networks/{mine.id}", microversion="2.35").json()
    assert shown["network"]["label"] == mine.name and shown["network"]["cidr"] is None
    assert user.conn.compute.get(f"/os-networks/{uuid.uuid4()}",
                                 microversion="2.1").status_code == 404
    assert user.conn.compute.get("/os-networks", microversion="2.36").status_code == 404
    tenant = user.conn.compute.get("/os-tenant-networks", microversion="2.1").json()
    assert {"id": mine.id, "label": mine.name, "cidr": None} in tenant["networks"]


def test_os_security_groups_and_rules_in_nova_shape(net_cloud: ComputeCloud) -> None:
    user = make_member(net_cloud, "ossg")
    c = user.conn.compute
    made = c.post("/os-security-groups", microversion="2.1", json={
        "security_group": {"name": "web", "description": "web servers"}})
    assert made.status_code == 200
    group = made.json()["security_group"]
    assert (group["name"], group["tenant_id"], group["rules"]) == (
        "web", user.project_id, [])
    rule = c.post("/os-security-group-rules", microversion="2.1", json={
        "security_group_rule": {"parent_group_id": group["id"], "ip_protocol": "tcp",
                                "from_port": 22, "to_port": 22, "cidr": "10.0.0.0/8"}})
    assert rule.status_code == 200
    assert rule.json()["security_group_rule"] | {"id": None} == {
        "id": None, "parent_group_id": group["id"], "ip_protocol": "tcp", "from_port": 22,
        "to_port": 22, "ip_range": {"cidr": "10.0.0.0/8"}, "group": {}}
    listed = c.get("/os-security-groups", microversion="2.1").json()["security_groups"]
    assert {g["name"] for g in listed} == {"default", "web"}
    shown = c.get(f"/os-security-groups/{group['id']}", microversion="2.1").json()
    assert [r["from_port"] for r in shown["security_group"]["rules"]] == [22]
    # Neutron sees the same rule, as an ingress rule.
    neutron = [r for r in user.conn.network.security_group_rules(
        security_group_id=group["id"]) if r.direction == "ingress"]
    assert [(r.protocol, r.port_range_min, r.remote_ip_prefix) for r in neutron] == [
        ("tcp", 22, "10.0.0.0/8")]
    assert c.delete(f"/os-security-group-rules/{rule.json()['security_group_rule']['id']}",
                    microversion="2.1").status_code == 202
    assert c.delete(f"/os-security-groups/{group['id']}", microversion="2.1"
                    ).status_code == 202
    assert c.get(f"/os-security-groups/{group['id']}", microversion="2.1"
                 ).status_code == 404
    assert c.get("/os-security-groups", microversion="2.36").status_code == 404
    bad = c.get("/os-security-groups/not-a-uuid", microversion="2.1")
    assert (bad.status_code, bad.json()["badRequest"]["message"]) == (
        400, "Security group id should be uuid")


def test_floating_ips_through_nova(net_cloud: ComputeCloud) -> None:
    admin = net_cloud.conn
    public = admin.network.create_network(name="public-" + uuid.uuid4().hex[:4],
                                          is_router_external=True)
    admin.network.create_subnet(network_id=public.id, ip_version=4, cidr="203.0.113.0/24")
    user = make_member(net_cloud, "fip")
    private = make_net(user.conn, "10.72.0.0/24")
    router = user.conn.network.create_router(
        name="r", external_gateway_info={"network_id": public.id})
    user.conn.network.add_interface_to_router(router, subnet_id=private.subnet_id)
    c = user.conn.compute
    pools = c.get("/os-floating-ip-pools", microversion="2.1").json()["floating_ip_pools"]
    assert {"name": public.name} in pools
    made = c.post("/os-floating-ips", microversion="2.1", json={"pool": public.name})
    assert made.status_code == 200
    fip = made.json()["floating_ip"]
    assert fip["pool"] == public.name and fip["instance_id"] is None
    server = boot(net_cloud, user.conn, [{"uuid": private.id}])
    active(net_cloud, user.conn, server.id)
    added = c.post(f"/servers/{server.id}/action", microversion="2.1",
                   json={"addFloatingIp": {"address": fip["ip"]}})
    assert added.status_code == 202
    addresses = user.conn.compute.get_server(server.id).addresses[private.name]
    assert [a["OS-EXT-IPS:type"] for a in addresses] == ["fixed", "floating"]
    assert addresses[1]["addr"] == fip["ip"]
    shown = c.get(f"/os-floating-ips/{fip['id']}", microversion="2.1").json()
    assert shown["floating_ip"]["instance_id"] == server.id
    assert c.post(f"/servers/{server.id}/action", microversion="2.44",
                  json={"removeFloatingIp": {"address": fip["ip"]}}).status_code == 404
    assert c.post(f"/servers/{server.id}/action", microversion="2.1",
                  json={"removeFloatingIp": {"address": fip["ip"]}}).status_code == 202
    again = c.post(f"/servers/{server.id}/action", microversion="2.1",
                   json={"removeFloatingIp": {"address": fip["ip"]}})
    assert again.status_code == 409
    assert c.delete(f"/os-floating-ips/{fip['id']}", microversion="2.1").status_code == 202
    assert c.get(f"/os-floating-ips/{fip['id']}", microversion="2.1").status_code == 404
    gone(net_cloud, user.conn, server.id)
