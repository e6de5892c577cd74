"""Regions, services, endpoints, the catalog tokens carry, and version discovery."""

from __future__ import annotations

from typing import Any

import pytest
from openstack import exceptions

from tests.conftest import Api
from tests.integration.identity.catalog_support import (
    member_token,
    name,
    ok,
    system_token,
)
from tests.support import ADMIN_PASSWORD, Cloud

# --- through the real clients -----------------------------------------------------------


def test_openstack_cli_manages_services_endpoints_and_catalog(cloud: Cloud) -> None:
    regions = cloud.openstack("region", "list")
    assert "RegionOne" in {r["Region"] for r in regions}

    svc_name = name("svc")
    service = cloud.openstack("service", "create", "--name", svc_name, "--description",
                              "made by a test", "identity2")
    assert (service["name"], service["type"], service["enabled"]) == (svc_name, "identity2",
                                                                      True)
    url = f"http://{svc_name}.example.com:8080/v1"
    endpoint = cloud.openstack("endpoint", "create", "--region", "RegionOne", svc_name,
                               "public", url)
    assert endpoint["url"] == url and endpoint["region"] == "RegionOne"
    assert endpoint["service_name"] == svc_name and endpoint["interface"] == "public"

    listed = cloud.openstack("endpoint", "list", "--service", svc_name)
    assert [e["ID"] for e in listed] == [endpoint["id"]]
    assert listed[0]["URL"] == url

    catalog = cloud.openstack("catalog", "list")
    entry = next(c for c in catalog if c["Name"] == svc_name)
    assert entry["Type"] == "identity2"
    assert url in str(entry["Endpoints"])

    cloud.openstack("service", "delete", svc_name)
    assert svc_name not in {c["Name"] for c in cloud.openstack("catalog", "list")}
    assert cloud.openstack("endpoint", "list", "--service", "identity2", check=False
                           ).returncode != 0


def test_openstacksdk_region_tree(cloud: Cloud) -> None:
    conn = cloud.sdk(username="admin", password=ADMIN_PASSWORD, project_name="admin")
    parent = conn.identity.create_region(description="parent region")
    child = conn.identity.create_region(id=name("child"), parent_region_id=parent.id)
    try:
        assert conn.identity.get_region(child.id).parent_region_id == parent.id
        ids = {r.id for r in conn.identity.regions(parent_region_id=parent.id)}
        assert ids == {child.id}
    finally:
        conn.identity.delete_region(parent.id)  # takes the child region with it
    with pytest.raises(exceptions.NotFoundException):
        conn.identity.get_region(child.id)


# --- regions ----------------------------------------------------------------------------


def _region(api: Api, **fields: Any) -> dict[str, Any]:
    return ok(api.request("POST", "/regions", json={"region": fields}), 201)["region"]


def test_region_created_with_put_and_listed_like_created(api: Api) -> None:
    region_id = name("region")
    created = ok(api.request("PUT", f"/regions/{region_id}",
                             json={"region": {"description": "chosen id"}}), 201)["region"]
    assert created["id"] == region_id and created["parent_region_id"] is None
    assert created["links"]["self"].endswith(f"/identity/v3/regions/{region_id}")
    # Tempest compares the created body with the listed one, links included.
    assert created in ok(api.request("GET", "/regions"), 200)["regions"]
    r = api.request("PUT", f"/regions/{region_id}", json={"region": {}})
    assert r.status_code == 409
    r = api.request("PUT", "/regions/a", json={"region": {"id": "b"}})
    assert r.status_code == 400


def test_region_generated_id_and_missing_description(api: Api) -> None:
    region = _region(api)
    assert len(region["id"]) == 32 and region["description"] == ""


def test_region_parent_checks(api: Api) -> None:
    r = api.request("POST", "/regions", json={"region": {"parent_region_id": "nowhere"}})
    assert r.status_code == 404
    top = _region(api)
    mid = _region(api, parent_region_id=top["id"])
    low = _region(api, parent_region_id=mid["id"])
    r = api.request("PATCH", f"/regions/{top['id']}",
                    json={"region": {"parent_region_id": low["id"]}})
    assert r.status_code == 400 and "circular" in r.json()["error"]["message"]
    r = api.request("PATCH", f"/regions/{top['id']}",
                    json={"region": {"parent_region_id": top["id"]}})
    assert r.status_code == 400
    listed = ok(api.request("GET", f"/regions?parent_region_id={mid['id']}"), 200)["regions"]
    assert [x["id"] for x in listed] == [low["id"]]
    moved = ok(api.request("PATCH", f"/regions/{low['id']}",
                           json={"region": {"parent_region_id": None, "description": "x"}}),
               200)["region"]
    assert moved["parent_region_id"] is None and moved["description"] == "x"


def test_region_delete_refused_while_a_subregion_has_endpoints(api: Api) -> None:
    top = _region(api)
    sub = _region(api, parent_region_id=top["id"])
    service = _service(api)
    endpoint = _endpoint(api, service["id"], region_id=sub["id"])
    r = api.request("DELETE", f"/regions/{top['id']}")
    assert r.status_code == 403
    ok(api.request("DELETE", f"/endpoints/{endpoint['id']}"), 204)
    ok(api.request("DELETE", f"/regions/{top['id']}"), 204)
    assert api.request("GET", f"/regions/{sub['id']}").status_code == 404


def test_region_writes_need_admin_but_anyone_reads(api: Api) -> None:
    member = member_token(api)
    assert api.request("GET", "/regions", token=member).status_code == 200
    assert api.request("POST", "/regions", token=member,
                       json={"region": {}}).status_code == 403
    assert api.request("GET", "/regions", token="not-a-token").status_code == 401


# --- services ---------------------------------------------------------------------------


def _service(api: Api, **fields: Any) -> dict[str, Any]:
    body = {"type": name("type"), "name": name("service"), **fields}
    return ok(api.request("POST", "/services", json={"service": body}), 201)["service"]


def test_service_crud_and_filters(api: Api) -> None:
    service = _service(api, description="first", color="blue")
    assert service["enabled"] is True and service["color"] == "blue"
    updated = ok(api.request("PATCH", f"/services/{service['id']}",
                             json={"service": {"description": "second", "enabled": False}}),
                 200)["service"]
    assert (updated["description"], updated["enabled"], updated["color"]) == ("second", False,
                                                                             "blue")
    assert ok(api.request("GET", f"/services/{service['id']}"), 200)["service"] == updated
    by_type = ok(api.request("GET", f"/services?type={service['type']}"), 200)["services"]
    assert [s["id"] for s in by_type] == [service["id"]]
    by_name = ok(api.request("GET", f"/services?name={service['name']}"), 200)["services"]
    assert [s["id"] for s in by_name] == [service["id"]]
    ok(api.request("DELETE", f"/services/{service['id']}"), 204)
    assert api.request("GET", f"/services/{service['id']}").status_code == 404


def test_service_without_name_gets_an_empty_one(api: Api) -> None:
    service = ok(api.request("POST", "/services", json={"service": {"type": "x"}}),
                 201)["service"]
    assert service["name"] == "" and "description" not in service


@pytest.mark.parametrize("body", [
    {"name": "no type"},
    {"type": ""},
    {"type": "t", "enabled": "True"},
    {"type": "t", "name": ""},
])
def test_service_validation(api: Api, body: dict[str, Any]) -> None:
    assert api.request("POST", "/services", json={"service": body}).status_code == 400


def test_service_reads_allowed_to_system_readers_not_members(api: Api) -> None:
    service = _service(api)
    assert api.request("GET", f"/services/{service['id']}",
                       token=system_token(api)).status_code == 200
    assert api.request("GET", "/services", token=member_token(api)).status_code == 403


def test_deleting_a_service_deletes_its_endpoints(api: Api) -> None:
    service = _service(api)
    endpoint = _endpoint(api, service["id"])
    ok(api.request("DELETE", f"/services/{service['id']}"), 204)
    assert api.request("GET", f"/endpoints/{endpoint['id']}").status_code == 404


# --- endpoints --------------------------------------------------------------------------


def _endpoint(api: Api, service_id: str, **fields: Any) -> dict[str, Any]:
    body = {"service_id": service_id, "interface": "public",
            "url": f"https://{name('url')}.example.com", **fields}
    return ok(api.request("POST", "/endpoints", json={"endpoint": body}), 201)["endpoint"]


def test_endpoint_legacy_region_is_created_on_demand(api: Api) -> None:
    service = _service(api)
    region = name("region")
    endpoint = _endpoint(api, service["id"], region=region)
    assert endpoint["region"] == endpoint["region_id"] == region
    assert ok(api.request("GET", f"/regions/{region}"), 200)["region"]["id"] == region
    assert endpoint["enabled"] is True
    assert endpoint in ok(api.request("GET", "/endpoints"), 200)["endpoints"]


def test_endpoint_update_moves_it_between_services_and_regions(api: Api) -> None:
    first, second = _service(api), _service(api)
    endpoint = _endpoint(api, first["id"], region=name("region"))
    region2 = name("region")
    url2 = "https://elsewhere.example.com/v2"
    updated = ok(api.request("PATCH", f"/endpoints/{endpoint['id']}", json={"endpoint": {
        "service_id": second["id"], "interface": "internal", "url": url2, "region": region2,
        "enabled": False}}), 200)["endpoint"]
    assert (updated["service_id"], updated["interface"], updated["url"], updated["region"],
            updated["enabled"]) == (second["id"], "internal", url2, region2, False)
    assert ok(api.request("GET", f"/endpoints/{endpoint['id']}"), 200)["endpoint"] == updated


def test_endpoint_filters(api: Api) -> None:
    service = _service(api)
    region = _region(api)
    public = _endpoint(api, service["id"], region_id=region["id"])
    internal = _endpoint(api, service["id"], interface="internal")

    def ids(query: str) -> set[str]:
        found = ok(api.request("GET", f"/endpoints?{query}"), 200)["endpoints"]
        return {e["id"] for e in found}

    assert ids(f"service_id={service['id']}") == {public["id"], internal["id"]}
    assert ids(f"service_id={service['id']}&interface=internal") == {internal["id"]}
    assert ids(f"region_id={region['id']}") == {public["id"]}
    assert api.request("GET", "/endpoints?interface=sideways").status_code == 400


@pytest.mark.parametrize("fields", [
    {"enabled": "True"},
    {"enabled": "False"},
    {"interface": "sideways"},
    {"url": "not a url"},
    {"url": "http://x/$(nope)s"},
    {"region_id": "no-such-region"},
])
def test_endpoint_create_validation(api: Api, fields: dict[str, Any]) -> None:
    service = _service(api)
    body = {"service_id": service["id"], "interface": "public", "url": "http://x", **fields}
    assert api.request("POST", "/endpoints", json={"endpoint": body}).status_code == 400


def test_endpoint_for_unknown_service_is_400(api: Api) -> None:
    body = {"service_id": "nope", "interface": "public", "url": "http://x"}
    r = api.request("POST", "/endpoints", json={"endpoint": body})
    assert r.status_code == 400 and "service" in r.json()["error"]["message"]


@pytest.mark.parametrize("fields", [{"enabled": "True"}, {"enabled": "False"}, {},
                                    {"service_id": "nope"}, {"id": "other"}])
def test_endpoint_update_validation(api: Api, fields: dict[str, Any]) -> None:
    endpoint = _endpoint(api, _service(api)["id"])
    r = api.request("PATCH", f"/endpoints/{endpoint['id']}", json={"endpoint": fields})
    assert r.status_code == 400


# --- the catalog ------------------------------------------------------------------------


def _catalog(api: Api, token: str | None = None) -> list[dict[str, Any]]:
    return list(ok(api.request("GET", "/auth/catalog", token=token), 200)["catalog"])


def test_catalog_lists_enabled_services_and_endpoints_with_substitutions(api: Api) -> None:
    service = _service(api)
    shown = _endpoint(api, service["id"], url="http://compute.example.com/v2/$(project_id)s")
    hidden = _endpoint(api, service["id"], enabled=False)
    catalog = _catalog(api)
    assert any(s["type"] == "identity" and s["name"] == "keystone" for s in catalog)
    entry = next(s for s in catalog if s["id"] == service["id"])
    project_id = ok(api.request("GET", "/auth/tokens",
                                headers={"X-Subject-Token": api.token()}),
                    200)["token"]["project"]["id"]
    assert [e["id"] for e in entry["endpoints"]] == [shown["id"]]
    assert entry["endpoints"][0]["url"] == f"http://compute.example.com/v2/{project_id}"
    assert hidden["id"] not in str(catalog)
    ok(api.request("PATCH", f"/services/{service['id']}",
                   json={"service": {"enabled": False}}), 200)
    assert service["id"] not in {s["id"] for s in _catalog(api)}


def test_catalog_needs_a_project_scoped_token(api: Api) -> None:
    assert api.request("GET", "/auth/catalog", token=system_token(api)).status_code == 403


# --- version discovery ------------------------------------------------------------------


def test_version_discovery(api: Api) -> None:
    r = api.client.get("/identity/")
    assert r.status_code == 300
    (version,) = r.json()["versions"]["values"]
    assert {"id", "links", "media-types", "status", "updated"} <= set(version)
    assert version["links"][0]["href"] == r.headers["location"]
    v3 = api.client.get("/identity/v3").json()["version"]
    assert v3["status"] == "stable" and v3["id"].startswith("v3.")
    assert {"base": "application/json",
            "type": "application/vnd.openstack.identity-v3+json"} in v3["media-types"]
