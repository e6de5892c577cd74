"""Domains, projects and project tags: the real CLI, and the behaviours Tempest checks."""

from __future__ import annotations

from tests.conftest import Api
from tests.integration.identity.users_support import (
    PASSWORD,
    create,
    member_user,
    openstack_as,
    uniq,
)
from tests.support import ADMIN_PASSWORD, Cloud


def admin(cloud: Cloud, *args: str) -> object:
    return openstack_as(cloud, "admin", ADMIN_PASSWORD, "admin", *args)


# --- through the real clients ----------------------------------------------------------


def test_openstack_domain_and_project_lifecycle(cloud: Cloud) -> None:
    domain, project = uniq("cli-domain"), uniq("cli-project")
    d = cloud.openstack("domain", "create", "--description", "for the CLI test", domain)
    assert d["enabled"] and d["description"] == "for the CLI test"
    p = cloud.openstack("project", "create", "--domain", domain, "--description", "p",
                        "--tag", "blue", "--tag", "green", project)
    assert p["domain_id"] == d["id"] and p["parent_id"] == d["id"]
    assert sorted(p["tags"]) == ["blue", "green"]

    assert [x["Name"] for x in cloud.openstack("project", "list", "--domain", domain)] == \
        [project]
    assert project in [x["Name"] for x in cloud.openstack("project", "list", "--tags", "blue")]
    assert project not in [x["Name"] for x in cloud.openstack("project", "list",
                                                              "--not-tags", "green")]

    admin(cloud, "project", "set", "--disable", "--domain", domain, project)
    assert cloud.openstack("project", "show", "--domain", domain, project)["enabled"] is False

    user = cloud.openstack("user", "create", "--domain", domain, "--password", PASSWORD,
                           uniq("cli-domain-user"))
    admin(cloud, "domain", "set", "--disable", domain)
    admin(cloud, "domain", "delete", domain)
    # The domain took its project and its user with it.
    assert cloud.openstack("domain", "show", domain, check=False).returncode != 0
    assert cloud.openstack("project", "show", p["id"], check=False).returncode != 0
    assert cloud.openstack("user", "show", user["id"], check=False).returncode != 0


# --- domains ---------------------------------------------------------------------------


def test_domain_rules(api: Api) -> None:
    domain = create(api, "domain")
    assert domain["description"] == "" and domain["enabled"] is True
    assert {"id", "name", "links", "tags", "options"} <= set(domain)
    assert "domain_id" not in domain and "is_domain" not in domain
    path = f"/domains/{domain['id']}"
    assert api.request("DELETE", path).status_code == 403  # still enabled
    assert api.request("POST", "/domains", json={"domain": {"name": ""}}).status_code == 400
    assert api.request("POST", "/domains",
                       json={"domain": {"name": "d" * 65}}).status_code == 400
    assert api.request("POST", "/domains",
                       json={"domain": {"name": domain["name"]}}).status_code == 409
    assert api.request("DELETE", "/domains/nope").status_code == 404

    enabled = api.request("GET", "/domains", params={"enabled": "true"}).json()["domains"]
    assert domain in enabled
    named = api.request("GET", "/domains", params={"name": domain["name"]}).json()["domains"]
    assert named == [domain]


def test_deleting_a_domain_deletes_its_contents(api: Api) -> None:
    domain = create(api, "domain")
    project = create(api, "project", domain_id=domain["id"])
    child = create(api, "project", parent_id=project["id"])
    user = create(api, "user", domain_id=domain["id"])
    group = create(api, "group", domain_id=domain["id"])
    api.request("PUT", f"/groups/{group['id']}/users/{user['id']}")
    path = f"/domains/{domain['id']}"
    assert api.request("PATCH", path, json={"domain": {"enabled": False}}).status_code == 200
    assert api.request("DELETE", path).status_code == 204
    for gone in (path, f"/projects/{project['id']}", f"/projects/{child['id']}",
                 f"/users/{user['id']}", f"/groups/{group['id']}"):
        assert api.request("GET", gone).status_code == 404, gone


def test_members_see_their_own_domain_only(api: Api) -> None:
    _user, _project_id, token = member_user(api)
    shown = api.request("GET", "/domains/default", token=token)
    assert shown.status_code == 200 and shown.json()["domain"]["enabled"] is True
    other = create(api, "domain")
    assert api.request("GET", f"/domains/{other['id']}", token=token).status_code == 403
    assert api.request("GET", "/domains", token=token).status_code == 403


# --- projects --------------------------------------------------------------------------


def test_is_domain_project_through_the_projects_api(api: Api) -> None:
    """Tempest's test_create_is_domain_project: a domain made, listed, disabled and
    deleted through /v3/projects."""
    r = api.request("POST", "/projects", json={"project": {
        "name": uniq("dom-project"), "domain_id": None, "is_domain": True}})
    assert r.status_code == 201, r.text
    created = r.json()["project"]
    assert created["is_domain"] is True and created["domain_id"] is None
    assert created["parent_id"] is None
    assert created["links"]["self"].endswith(f"/v3/projects/{created['id']}")

    as_projects = api.request("GET", "/projects", params={"is_domain": "True"}).json()
    assert created in as_projects["projects"]
    assert created["id"] not in [p["id"] for p in api.request("GET", "/projects").json()[
        "projects"]]
    domains = api.request("GET", "/domains").json()["domains"]
    assert created["id"] in [d["id"] for d in domains]

    path = f"/projects/{created['id']}"
    assert api.request("GET", path).json()["project"] == created
    assert api.request("DELETE", path).status_code == 403  # an enabled domain
    disabled = api.request("PATCH", path, json={"project": {"enabled": False}})
    assert disabled.status_code == 200 and disabled.json()["project"]["enabled"] is False
    assert api.request("DELETE", path).status_code == 204
    assert api.request("GET", f"/domains/{created['id']}").status_code == 404


def test_project_show_equals_list_entry(api: Api) -> None:
    project = create(api, "project", description="d", tags=["a", "c", "b"])
    shown = api.request("GET", f"/projects/{project['id']}").json()["project"]
    listed = next(p for p in api.request("GET", "/projects").json()["projects"]
                  if p["id"] == project["id"])
    assert shown == listed == project
    assert {"parent_id", "is_domain", "description", "links", "name", "enabled",
            "domain_id", "id", "tags"} <= set(shown)


def test_project_hierarchy_and_filters(api: Api) -> None:
    domain = create(api, "domain")
    root = create(api, "project", domain_id=domain["id"], enabled=False)
    assert root["parent_id"] == domain["id"]
    child = create(api, "project", parent_id=root["id"])
    assert child["parent_id"] == root["id"] and child["domain_id"] == domain["id"]

    def ids(**params: str) -> set[str]:
        r = api.request("GET", "/projects", params=params)
        assert r.status_code == 200, r.text
        return {p["id"] for p in r.json()["projects"]}

    assert ids(parent_id=root["id"]) == {child["id"]}
    assert ids(domain_id=domain["id"]) == {root["id"], child["id"]}
    assert root["id"] in ids(enabled="False") and child["id"] not in ids(enabled="False")
    assert ids(name=child["name"]) == {child["id"]}

    other = create(api, "domain")
    r = api.request("POST", "/projects", json={"project": {
        "name": uniq("p"), "parent_id": root["id"], "domain_id": other["id"]}})
    assert r.status_code == 400
    shown = api.request("GET", f"/projects/{child['id']}",
                        params={"parents_as_ids": "", "subtree_as_ids": ""}).json()["project"]
    assert shown["parents"] == {root["id"]: None} and shown["subtree"] is None


def test_project_errors(api: Api) -> None:
    project = create(api, "project")
    create(api, "project", parent_id=project["id"])
    path = f"/projects/{project['id']}"

    def post(body: dict[str, object]) -> int:
        return int(api.request("POST", "/projects", json={"project": body}).status_code)

    assert post({"name": ""}) == 400
    assert post({"name": "a" * 65}) == 400
    assert post({"name": project["name"]}) == 409
    assert post({"name": uniq("p"), "domain_id": "nosuchdomain"}) == 404
    assert post({"name": uniq("p"), "tags": ["bad,tag"]}) == 400
    assert api.request("DELETE", "/projects/nope").status_code == 404
    assert api.request("DELETE", path).status_code == 403  # it has a child
    assert api.request("PATCH", path, json={"project": {"parent_id": "x"}}).status_code == 403
    assert api.request("PATCH", path, json={"project": {"domain_id": "x"}}).status_code == 400


def test_non_admin_cannot_manage_projects(api: Api) -> None:
    _user, project_id, token = member_user(api)
    other = create(api, "project")
    assert api.request("GET", "/projects", token=token).status_code == 403
    assert api.request("POST", "/projects", token=token,
                       json={"project": {"name": uniq("p")}}).status_code == 403
    assert api.request("DELETE", f"/projects/{other['id']}", token=token).status_code == 403
    assert api.request("GET", f"/projects/{project_id}", token=token).status_code == 200
    assert api.request("GET", f"/projects/{other['id']}", token=token).status_code == 403


# --- project tags ----------------------------------------------------------------------


def test_project_tags(api: Api) -> None:
    project = create(api, "project")
    tags = f"/projects/{project['id']}/tags"
    added = api.request("PUT", f"{tags}/first")
    assert added.status_code == 201 and added.content == b""
    assert added.headers["location"].startswith("http") and \
        added.headers["location"].endswith(f"{tags}/first")
    assert api.request("GET", f"{tags}/first").status_code == 204

    replaced = api.request("PUT", tags, json={"tags": ["x", "y", "z"]})
    assert replaced.status_code == 200
    assert sorted(replaced.json()["tags"]) == ["x", "y", "z"]
    assert replaced.json()["links"]["self"].endswith(tags)
    assert sorted(api.request("GET", tags).json()["tags"]) == ["x", "y", "z"]
    assert api.request("GET", f"{tags}/first").status_code == 404

    assert api.request("DELETE", f"{tags}/x").status_code == 204
    assert api.request("GET", f"{tags}/x").status_code == 404
    assert api.request("DELETE", f"{tags}/x").status_code == 404
    assert api.request("PUT", tags, json={"nothing": []}).status_code == 400
    assert api.request("PUT", tags, json={"tags": ["a/b"]}).status_code == 400
    assert api.request("DELETE", tags).status_code == 204
    assert api.request("GET", tags).json()["tags"] == []


def test_project_tag_filters(api: Api) -> None:
    t = uniq("t")
    both = create(api, "project", tags=[f"{t}-a", f"{t}-b"])
    only_a = create(api, "project", tags=[f"{t}-a"])

    def ids(**params: str) -> set[str]:
        return {p["id"] for p in api.request("GET", "/projects", params=params).json()[
            "projects"]}

    assert ids(tags=f"{t}-a,{t}-b") == {both["id"]}
    assert ids(**{"tags-any": f"{t}-a,{t}-b"}) == {both["id"], only_a["id"]}
    assert both["id"] not in ids(**{"not-tags": f"{t}-a,{t}-b"})
    assert only_a["id"] in ids(**{"not-tags": f"{t}-a,{t}-b"})
    assert {both["id"], only_a["id"]}.isdisjoint(ids(**{"not-tags-any": f"{t}-b,{t}-a"}))
