"""The compute API over plain HTTP: version discovery, microversions, Nova's error bodies."""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration.compute.conftest import ComputeCloud


def call(cc: ComputeCloud, method: str, path: str, version: str | None = None,
         token: str | None = None, **kw: Any) -> httpx.Response:
    """A compute API request as the administrator (or the holder of ``token``)."""
    headers = {"X-Auth-Token": token or cc.conn.auth_token}
    if version:
        headers["OpenStack-API-Version"] = f"compute {version}"
    return httpx.request(method, cc.cloud.url + "/compute" + path, headers=headers,
                         timeout=30, **kw)


def test_version_discovery(compute_cloud: ComputeCloud) -> None:
    versions = httpx.get(compute_cloud.cloud.url + "/compute/").json()["versions"]
    assert [(v["id"], v["min_version"], v["version"]) for v in versions] == \
        [("v2.0", "", ""), ("v2.1", "2.1", "2.96")]
    doc = httpx.get(compute_cloud.cloud.url + "/compute/v2.1/").json()["version"]
    assert doc["status"] == "CURRENT" and doc["links"][0]["href"].endswith("/compute/v2.1/")


def test_microversion_negotiation(compute_cloud: ComputeCloud) -> None:
    r = call(compute_cloud, "GET", "/v2.1/flavors/1", "2.60")
    assert r.headers["OpenStack-API-Version"] == "compute 2.60"
    assert r.headers["X-OpenStack-Nova-API-Version"] == "2.60"
    assert "extra_specs" not in r.json()["flavor"]  # 2.61 added them
    assert "extra_specs" in call(compute_cloud, "GET", "/v2.1/flavors/1", "2.61")\
        .json()["flavor"]
    assert call(compute_cloud, "GET", "/v2.1/flavors/1").headers[
        "X-OpenStack-Nova-API-Version"] == "2.1"
    r = call(compute_cloud, "GET", "/v2.1/flavors", "2.500")
    assert r.status_code == 406 and "maximum is 2.96" in r.text


def test_errors_have_novas_shape(compute_cloud: ComputeCloud) -> None:
    r = call(compute_cloud, "GET", "/v2.1/servers/00000000-0000-0000-0000-000000000000")
    assert r.status_code == 404
    assert r.json() == {"itemNotFound": {
        "code": 404, "message": "Instance 00000000-0000-0000-0000-000000000000 could not "
                                "be found."}}
    r = call(compute_cloud, "POST", "/v2.1/servers", json={"server": {"name": "x"}})
    assert r.status_code == 400 and r.json()["badRequest"]["code"] == 400
    r = call(compute_cloud, "POST", "/v2.1/servers", "2.37",
             json={"server": {"name": "x", "flavorRef": "1", "imageRef": "", "bogus": 1}})
    assert "Additional properties are not allowed ('bogus' was unexpected)" in \
        r.json()["badRequest"]["message"]


def test_internal_api_needs_the_agent_secret(compute_cloud: ComputeCloud) -> None:
    r = httpx.get(compute_cloud.cloud.url + "/compute/internal/v1/hosts/x/servers",
                  headers={"X-Haneul-Agent-Secret": "wrong"})
    assert r.status_code == 401


def test_hypervisors_services_and_zones(compute_cloud: ComputeCloud) -> None:
    hyp = call(compute_cloud, "GET", "/v2.1/os-hypervisors/detail", "2.87").json()
    [node] = hyp["hypervisors"]
    assert node["hypervisor_type"] == "fake" and node["state"] == "up"
    assert node["vcpus"] == 8 and node["memory_mb"] == 16384
    stats = call(compute_cloud, "GET", "/v2.1/os-hypervisors/statistics", "2.87").json()
    assert stats["hypervisor_statistics"]["count"] == 1
    assert call(compute_cloud, "GET", "/v2.1/os-hypervisors/statistics", "2.88")\
        .status_code == 404
    zones = call(compute_cloud, "GET", "/v2.1/os-availability-zone").json()
    assert zones["availabilityZoneInfo"] == [
        {"zoneName": "nova", "zoneState": {"available": True}, "hosts": None}]


def test_simple_tenant_usage(compute_cloud: ComputeCloud) -> None:
    from tests.integration.compute.test_server_lifecycle import active, delete

    server = active(compute_cloud)
    usage = call(compute_cloud, "GET",
                 f"/v2.1/os-simple-tenant-usage/{server.project_id}").json()["tenant_usage"]
    assert usage["tenant_id"] == server.project_id and usage["total_hours"] >= 0
    assert server.id in [u["instance_id"] for u in usage["server_usages"]]
    listed = call(compute_cloud, "GET", "/v2.1/os-simple-tenant-usage?detailed=1").json()
    assert server.project_id in [u["tenant_id"] for u in listed["tenant_usages"]]
    delete(compute_cloud, server)


def test_usage_audit_log_says_no_host_ran_the_audit(compute_cloud: ComputeCloud) -> None:
    logs = call(compute_cloud, "GET", "/v2.1/os-instance_usage_audit_log").json()
    log = logs["instance_usage_audit_logs"]
    assert log["hosts_not_run"] == ["fake-compute-1"] and log["num_hosts_done"] == 0
    before = call(compute_cloud, "GET", "/v2.1/os-instance_usage_audit_log/2026-03-15")
    assert before.json()["instance_usage_audit_log"]["period_beginning"] == \
        "2026-02-01 00:00:00"
    assert call(compute_cloud, "GET", "/v2.1/os-instance_usage_audit_log/nope")\
        .status_code == 400
