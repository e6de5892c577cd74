"""OS-EP-FILTER, OS-POLICY, domain configuration and OS-OAUTH1 consumers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.integration.identity.catalog_support import member_token, name, ok, system_token
from tests.support import ADMIN_PASSWORD, Cloud

EP = "/OS-EP-FILTER"


def _service(api: Api) -> dict[str, Any]:
    body = {"type": name("type"), "name": name("service")}
    return ok(api.request("POST", "/services", json={"service": body}), 201)["service"]


def _endpoint(api: Api, service_id: str, interface: str = "public") -> dict[str, Any]:
    body = {"service_id": service_id, "interface": interface,
            "url": f"https://{name('url')}.example.com"}
    return ok(api.request("POST", "/endpoints", json={"endpoint": body}), 201)["endpoint"]


def _project(api: Api) -> dict[str, Any]:
    body = {"name": name("project"), "domain_id": "default"}
    return ok(api.request("POST", "/projects", json={"project": body}), 201)["project"]


def _group(api: Api, filters: dict[str, Any]) -> dict[str, Any]:
    body = {"name": name("group"), "description": "a group", "filters": filters}
    return ok(api.request("POST", f"{EP}/endpoint_groups", json={"endpoint_group": body}),
              201)["endpoint_group"]


def _scoped_catalog(api: Api, project: dict[str, Any]) -> dict[str, list[str]]:
    """service id -> endpoint ids in the catalog of an admin token on ``project``."""
    role = ok(api.request("GET", "/roles?name=admin"), 200)["roles"][0]
    admin = ok(api.request("GET", "/auth/tokens", headers={"X-Subject-Token": api.token()}),
               200)["token"]["user"]
    ok(api.request("PUT", f"/projects/{project['id']}/users/{admin['id']}/roles/{role['id']}"),
       204)
    r = api.client.post("/identity/v3/auth/tokens", json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "id": admin["id"], "password": ADMIN_PASSWORD}}},
        "scope": {"project": {"id": project["id"]}}}})
    assert r.status_code == 201, r.text
    catalog = r.json()["token"]["catalog"]
    via_api = ok(api.request("GET", "/auth/catalog", token=r.headers["x-subject-token"]),
                 200)["catalog"]
    assert via_api == catalog
    return {s["id"]: [e["id"] for e in s["endpoints"]] for s in catalog}


# --- OS-EP-FILTER -----------------------------------------------------------------------


def test_endpoint_group_crud_and_check(api: Api) -> None:
    service = _service(api)
    group = _group(api, {"service_id": service["id"]})
    assert group["links"]["self"].endswith(f"/v3/OS-EP-FILTER/endpoint_groups/{group['id']}")
    assert group in ok(api.request("GET", f"{EP}/endpoint_groups"), 200)["endpoint_groups"]
    assert ok(api.request("GET", f"{EP}/endpoint_groups/{group['id']}"),
              200)["endpoint_group"] == group
    assert api.request("HEAD", f"{EP}/endpoint_groups/{group['id']}").status_code == 200
    other = _service(api)
    updated = ok(api.request("PATCH", f"{EP}/endpoint_groups/{group['id']}", json={
        "endpoint_group": {"name": "renamed", "filters": {"service_id": other["id"]}}}),
        200)["endpoint_group"]
    assert updated["name"] == "renamed" and updated["filters"] == {"service_id": other["id"]}
    ok(api.request("DELETE", f"{EP}/endpoint_groups/{group['id']}"), 204)
    assert api.request("HEAD", f"{EP}/endpoint_groups/{group['id']}").status_code == 404


@pytest.mark.parametrize("body", [
    {"name": "x"},
    {"name": "x", "filters": {}},
    {"name": "x", "filters": {"url": "http://x"}},
    {"name": "x", "filters": {"interface": "sideways"}},
    {"filters": {"interface": "public"}},
    {"name": "x", "filters": {"interface": "public"}, "colour": "blue"},
])
def test_endpoint_group_validation(api: Api, body: dict[str, Any]) -> None:
    r = api.request("POST", f"{EP}/endpoint_groups", json={"endpoint_group": body})
    assert r.status_code == 400


def test_project_endpoint_associations_narrow_the_catalog(api: Api) -> None:
    service = _service(api)
    public, internal = _endpoint(api, service["id"]), _endpoint(api, service["id"], "internal")
    project = _project(api)
    full = _scoped_catalog(api, project)
    assert set(full[service["id"]]) == {public["id"], internal["id"]}

    path = f"{EP}/projects/{project['id']}/endpoints/{public['id']}"
    assert api.request("HEAD", path).status_code == 404
    ok(api.request("PUT", path), 204)
    assert api.request("PUT", path).status_code == 409
    assert api.request("HEAD", path).status_code == 204
    assert api.request("GET", path).status_code == 204
    narrowed = _scoped_catalog(api, project)
    assert narrowed == {service["id"]: [public["id"]]}  # every other service is gone too

    listed = ok(api.request("GET", f"{EP}/projects/{project['id']}/endpoints"), 200)
    assert [e["id"] for e in listed["endpoints"]] == [public["id"]]
    projects = ok(api.request("GET", f"{EP}/endpoints/{public['id']}/projects"), 200)
    assert [p["id"] for p in projects["projects"]] == [project["id"]]

    ok(api.request("DELETE", path), 204)
    assert api.request("DELETE", path).status_code == 404
    assert len(_scoped_catalog(api, project)) == len(full)


def test_endpoint_group_association_adds_matching_endpoints(api: Api) -> None:
    service = _service(api)
    public, internal = _endpoint(api, service["id"]), _endpoint(api, service["id"], "internal")
    group = _group(api, {"service_id": service["id"], "interface": "internal"})
    members = ok(api.request("GET", f"{EP}/endpoint_groups/{group['id']}/endpoints"), 200)
    assert [e["id"] for e in members["endpoints"]] == [internal["id"]]

    project = _project(api)
    path = f"{EP}/endpoint_groups/{group['id']}/projects/{project['id']}"
    assert api.request("GET", path).status_code == 404
    ok(api.request("PUT", path), 204)
    assoc = ok(api.request("GET", path), 200)["project_endpoint_group"]
    assert (assoc["endpoint_group_id"], assoc["project_id"]) == (group["id"], project["id"])
    assert api.request("HEAD", path).status_code == 200
    groups = ok(api.request("GET", f"{EP}/projects/{project['id']}/endpoint_groups"), 200)
    assert [g["id"] for g in groups["endpoint_groups"]] == [group["id"]]
    projects = ok(api.request("GET", f"{EP}/endpoint_groups/{group['id']}/projects"), 200)
    assert [p["id"] for p in projects["projects"]] == [project["id"]]
    assert _scoped_catalog(api, project) == {service["id"]: [internal["id"]]}
    assert public["id"] not in str(
        ok(api.request("GET", f"{EP}/projects/{project['id']}/endpoints"), 200))

    ok(api.request("DELETE", f"{EP}/endpoint_groups/{group['id']}"), 204)
    assert len(_scoped_catalog(api, project)) > 1  # the filter went with the group


def test_associations_with_unknown_things_are_404(api: Api) -> None:
    endpoint = _endpoint(api, _service(api)["id"])
    project = _project(api)
    assert api.request("PUT", f"{EP}/projects/nope/endpoints/{endpoint['id']}"
                       ).status_code == 404
    assert api.request("PUT", f"{EP}/projects/{project['id']}/endpoints/nope"
                       ).status_code == 404
    assert api.request("PUT", f"{EP}/endpoint_groups/nope/projects/{project['id']}"
                       ).status_code == 404
    assert api.request("GET", f"{EP}/projects/nope/endpoint_groups").status_code == 404


def test_endpoint_filter_reads_need_system_reader(api: Api) -> None:
    assert api.request("GET", f"{EP}/endpoint_groups", token=system_token(api)
                       ).status_code == 200
    assert api.request("GET", f"{EP}/endpoint_groups", token=member_token(api)
                       ).status_code == 403


# --- OS-POLICY --------------------------------------------------------------------------


def test_policy_crud(api: Api) -> None:
    body = {"blob": '{"rule": "role:admin"}', "type": "application/json"}
    policy = ok(api.request("POST", "/policies", json={"policy": body}), 201)["policy"]
    assert (policy["blob"], policy["type"]) == (body["blob"], body["type"])
    listed = ok(api.request("GET", "/policies?type=application/json"), 200)["policies"]
    assert policy in listed
    updated = ok(api.request("PATCH", f"/policies/{policy['id']}",
                             json={"policy": {"type": "text/plain"}}), 200)["policy"]
    assert updated["type"] == "text/plain" and updated["blob"] == body["blob"]
    assert ok(api.request("GET", f"/policies/{policy['id']}"), 200)["policy"] == updated
    ok(api.request("DELETE", f"/policies/{policy['id']}"), 204)
    assert api.request("GET", f"/policies/{policy['id']}").status_code == 404


@pytest.mark.parametrize("body", [{"blob": "x"}, {"type": "x"}, {"blob": 1, "type": "x"}])
def test_policy_validation(api: Api, body: dict[str, Any]) -> None:
    assert api.request("POST", "/policies", json={"policy": body}).status_code == 400


# --- domain configuration ---------------------------------------------------------------

CONFIG = {"identity": {"driver": "ldap"},
          "ldap": {"url": "ldap://myldap.com:389/", "user_tree_dn": "ou=Users,dc=org"}}


def _domain(api: Api) -> str:
    body = {"domain": {"name": name("domain")}}
    return str(ok(api.request("POST", "/domains", json=body), 201)["domain"]["id"])


def test_domain_config_lifecycle(api: Api) -> None:
    domain = _domain(api)
    base = f"/domains/{domain}/config"
    assert api.request("GET", base).status_code == 404
    assert ok(api.request("PUT", base, json={"config": CONFIG}), 201)["config"] == CONFIG
    assert ok(api.request("PUT", base, json={"config": CONFIG}), 200)["config"] == CONFIG
    assert ok(api.request("GET", f"{base}/ldap"), 200)["config"] == {"ldap": CONFIG["ldap"]}
    assert ok(api.request("GET", f"{base}/ldap/url"), 200)["config"] == {
        "url": "ldap://myldap.com:389/"}

    grouped = ok(api.request("PATCH", f"{base}/identity", json={"config": {
        "identity": {"driver": "sql", "list_limit": 5}}}), 200)["config"]
    assert grouped["identity"] == {"driver": "sql", "list_limit": 5}
    single = ok(api.request("PATCH", f"{base}/identity/driver",
                            json={"config": {"driver": "other"}}), 200)["config"]
    assert single["identity"]["driver"] == "other" and single["ldap"] == CONFIG["ldap"]

    ok(api.request("DELETE", f"{base}/identity/driver"), 204)
    assert api.request("GET", f"{base}/identity/driver").status_code == 404
    ok(api.request("DELETE", f"{base}/identity"), 204)
    assert api.request("GET", f"{base}/identity").status_code == 404
    ok(api.request("DELETE", base), 204)
    assert api.request("GET", base).status_code == 404


def test_domain_config_hides_the_ldap_password(api: Api) -> None:
    domain = _domain(api)
    config = {"ldap": {"url": "ldap://x", "password": "s3cret"}}
    shown = ok(api.request("PUT", f"/domains/{domain}/config", json={"config": config}),
               201)["config"]
    assert shown == {"ldap": {"url": "ldap://x"}}
    assert "s3cret" not in api.request("GET", f"/domains/{domain}/config").text


@pytest.mark.parametrize(("method", "path", "body", "status"), [
    ("PUT", "", {"config": {"assignment": {"driver": "sql"}}}, 403),
    ("PUT", "", {"config": {"ldap": {"no_such_option": 1}}}, 403),
    ("PUT", "", {"config": {}}, 403),
    ("GET", "/assignment", None, 403),
    ("PATCH", "/identity", {"config": {"ldap": {"url": "x"}}}, 403),
    ("PATCH", "/ldap/url", {"config": {"url": "x"}}, 404),
])
def test_domain_config_errors(api: Api, method: str, path: str, body: Any,
                              status: int) -> None:
    domain = _domain(api)
    kw = {"json": body} if body is not None else {}
    r = api.request(method, f"/domains/{domain}/config{path}", **kw)
    assert r.status_code == status, r.text


def test_domain_config_of_unknown_domain_is_404(api: Api) -> None:
    r = api.request("PUT", "/domains/nope/config", json={"config": CONFIG})
    assert r.status_code == 404


def test_domain_config_defaults(api: Api) -> None:
    config = ok(api.request("GET", "/domains/config/default"), 200)["config"]
    assert {"identity", "ldap"} == set(config)
    assert config["identity"]["driver"] == "sql" and "list_limit" in config["identity"]
    ldap = ok(api.request("GET", "/domains/config/ldap/default"), 200)["config"]
    assert ldap == {"ldap": config["ldap"]}
    assert ok(api.request("GET", "/domains/config/ldap/url/default"), 200)["config"] == {
        "url": "ldap://localhost"}
    assert api.request("GET", "/domains/config/ldap/password/default").status_code == 403
    assert api.request("GET", "/domains/config/nope/default").status_code == 403


def test_domain_config_writes_need_admin(api: Api) -> None:
    domain = _domain(api)
    r = api.request("PUT", f"/domains/{domain}/config", json={"config": CONFIG},
                    token=member_token(api))
    assert r.status_code == 403


# --- OS-OAUTH1 consumers ----------------------------------------------------------------


def test_consumer_secret_is_shown_only_on_create(api: Api) -> None:
    consumer = ok(api.request("POST", "/OS-OAUTH1/consumers",
                              json={"consumer": {"description": "mine"}}), 201)["consumer"]
    assert len(consumer["secret"]) >= 32
    path = f"/OS-OAUTH1/consumers/{consumer['id']}"
    shown = ok(api.request("GET", path), 200)["consumer"]
    assert "secret" not in shown
    assert {k: shown[k] for k in ("id", "description", "links")} == {
        k: consumer[k] for k in ("id", "description", "links")}
    listed = ok(api.request("GET", "/OS-OAUTH1/consumers"), 200)["consumers"]
    assert shown in listed and "secret" not in str(listed)

    updated = ok(api.request("PATCH", path, json={"consumer": {"description": "new"}}),
                 200)["consumer"]
    assert updated["description"] == "new"
    assert api.request("PATCH", path, json={"consumer": {"secret": "x"}}).status_code == 400
    ok(api.request("DELETE", path), 204)
    assert api.request("GET", path).status_code == 404


def test_consumers_need_admin(api: Api) -> None:
    r = api.request("POST", "/OS-OAUTH1/consumers", json={"consumer": {}},
                    token=member_token(api))
    assert r.status_code == 403


# --- through the real clients -----------------------------------------------------------


def test_openstack_cli_endpoint_groups_and_project_filter(cloud: Cloud) -> None:
    service = cloud.openstack("service", "create", "--name", name("svc"), "filtered")
    endpoint = cloud.openstack("endpoint", "create", service["id"], "internal",
                               "http://filtered.example.com")
    project = cloud.openstack("project", "create", name("project"))
    try:
        cloud.openstack("endpoint", "add", "project", endpoint["id"], project["id"])
        listed = cloud.openstack("endpoint", "list", "--project", project["id"])
        assert [e["ID"] for e in listed] == [endpoint["id"]]

        group = cloud.openstack("endpoint", "group", "create", "--description", "g",
                                name("group"), _filters_file(cloud, service["id"]))
        cloud.openstack("endpoint", "group", "add", "project", group["id"], project["id"])
        groups = cloud.openstack("endpoint", "group", "list", "--project", project["id"])
        assert [g["ID"] for g in groups] == [group["id"]]
        cloud.openstack("endpoint", "group", "delete", group["id"])
        cloud.openstack("endpoint", "remove", "project", endpoint["id"], project["id"])
        assert cloud.openstack("endpoint", "list", "--project", project["id"]) == []
    finally:
        cloud.openstack("service", "delete", service["id"])
        cloud.openstack("project", "delete", project["id"])


def _filters_file(cloud: Cloud, service_id: str) -> str:
    path = cloud.state / f"filters-{service_id}.json"
    path.write_text(f'{{"service_id": "{service_id}"}}')
    return str(path)
