"""What administrators see of hosts: the controller's scheduler and conductor beside the
compute host (os-services, os-hosts, os-availability-zone), and the usage audit log."""

from __future__ import annotations

import socket

import httpx

from tests.integration.compute.conftest import HOST, ComputeCloud, Member
from tests.integration.compute.test_api_shapes import call

CONTROLLER = socket.gethostname()  # the cloud's config names no [compute] host


def test_the_controllers_services_are_listed_in_the_internal_zone(
        compute_cloud: ComputeCloud) -> None:
    cc = compute_cloud
    services = call(cc, "GET", "/v2.1/os-services").json()["services"]
    assert {(s["binary"], s["host"], s["zone"], s["state"]) for s in services} >= {
        ("nova-compute", HOST, "nova", "up"),
        ("nova-scheduler", CONTROLLER, "internal", "up"),
        ("nova-conductor", CONTROLLER, "internal", "up")}
    hosts = call(cc, "GET", "/v2.1/os-hosts", "2.42").json()["hosts"]
    assert {(h["host_name"], h["service"], h["zone"]) for h in hosts} >= {
        (HOST, "compute", "nova"), (CONTROLLER, "scheduler", "internal"),
        (CONTROLLER, "conductor", "internal")}
    assert call(cc, "GET", "/v2.1/os-hosts?zone=", "2.42").json()["hosts"] == hosts
    internal = call(cc, "GET", "/v2.1/os-hosts?zone=internal", "2.42").json()["hosts"]
    assert sorted(h["service"] for h in internal) == ["conductor", "scheduler"]
    assert call(cc, "GET", "/v2.1/os-hosts?zone=nope", "2.42").json() == {"hosts": []}
    assert call(cc, "GET", "/v2.1/os-hosts", "2.43").status_code == 404
    # Zones: users see where servers go; administrators see the internal one too.
    zones = call(cc, "GET", "/v2.1/os-availability-zone").json()["availabilityZoneInfo"]
    assert [z["zoneName"] for z in zones] == ["nova"]
    detail = call(cc, "GET", "/v2.1/os-availability-zone/detail").json()
    internal_zone = {z["zoneName"]: z for z in detail["availabilityZoneInfo"]}["internal"]
    assert set(internal_zone["hosts"][CONTROLLER]) == {"nova-scheduler", "nova-conductor"}


def test_usage_audit_log_is_for_administrators(compute_cloud: ComputeCloud,
                                               member: Member) -> None:
    cc = compute_cloud
    logs = call(cc, "GET", "/v2.1/os-instance_usage_audit_log").json()
    assert set(logs["instance_usage_audit_logs"]) == {
        "hosts_not_run", "log", "num_hosts", "num_hosts_done", "num_hosts_not_run",
        "num_hosts_running", "overall_status", "period_beginning", "period_ending",
        "total_errors", "total_instances"}
    # Only compute hosts run the audit: the controller's services are not counted.
    assert logs["instance_usage_audit_logs"]["num_hosts"] == 1
    shown = call(cc, "GET", "/v2.1/os-instance_usage_audit_log/2026-03-15%2010:00:00")
    assert shown.json()["instance_usage_audit_log"]["period_ending"] == "2026-03-01 00:00:00"
    bad = call(cc, "GET", "/v2.1/os-instance_usage_audit_log/invalid_time")
    assert bad.status_code == 400 and "badRequest" in bad.json()
    token = member.conn.auth_token
    for path in ("/v2.1/os-instance_usage_audit_log",
                 "/v2.1/os-instance_usage_audit_log/2026-03-15"):
        refused = call(cc, "GET", path, token=token)
        assert refused.status_code == 403 and "forbidden" in refused.json()


def test_an_instance_action_is_found_by_the_request_id_nova_returns(
        compute_cloud: ComputeCloud) -> None:
    cc = compute_cloud
    created = call(cc, "POST", "/v2.1/servers", json={"server": {
        "name": "request-id", "imageRef": cc.image_id, "flavorRef": "42",
        "networks": "none"}}, version="2.37")
    assert created.status_code == 202, created.text
    request_id = created.headers["x-compute-request-id"]
    assert request_id == created.headers["x-openstack-request-id"]
    server_id = created.json()["server"]["id"]
    try:
        action = call(cc, "GET", f"/v2.1/servers/{server_id}/os-instance-actions/"
                      f"{request_id}").json()["instanceAction"]
        assert action["action"] == "create"
    finally:
        call(cc, "DELETE", f"/v2.1/servers/{server_id}")
    # Other services send only OpenStack's common header.
    other = httpx.get(cc.cloud.url + "/identity/v3")
    assert "x-compute-request-id" not in other.headers
