"""Groups and membership: the real CLI's group commands, Keystone's errors, and what a
membership grants."""

from __future__ import annotations

from tests.conftest import Api
from tests.integration.identity.users_support import (
    PASSWORD,
    create,
    grant,
    openstack_as,
    token_for,
    uniq,
)
from tests.support import ADMIN_PASSWORD, Cloud


def admin(cloud: Cloud, *args: str) -> object:
    return openstack_as(cloud, "admin", ADMIN_PASSWORD, "admin", *args)


def test_openstack_group_membership(cloud: Cloud) -> None:
    group, user = uniq("cli-group"), uniq("cli-member")
    created = cloud.openstack("group", "create", "--domain", "default", "--description",
                              "the team", group)
    assert created["name"] == group and created["description"] == "the team"
    cloud.openstack("user", "create", "--domain", "default", "--password", PASSWORD, user)

    admin(cloud, "group", "add", "user", group, user)
    contains = admin(cloud, "group", "contains", "user", group, user)
    assert contains == f"{user} in group {group}"
    members = cloud.openstack("user", "list", "--group", group)
    assert [u["Name"] for u in members] == [user]
    groups = cloud.openstack("group", "list", "--user", user)
    assert [g["Name"] for g in groups] == [group]

    admin(cloud, "group", "remove", "user", group, user)
    # "not in group" goes to stderr: nothing on stdout.
    assert admin(cloud, "group", "contains", "user", group, user) == ""
    assert cloud.openstack("user", "list", "--group", group) == []

    admin(cloud, "group", "set", "--name", f"{group}-renamed", group)
    assert cloud.openstack("group", "show", f"{group}-renamed")["id"] == created["id"]
    admin(cloud, "group", "delete", f"{group}-renamed")
    assert group not in [g["Name"] for g in cloud.openstack("group", "list")]


def test_group_view_and_listing(api: Api) -> None:
    domain = create(api, "domain")
    group = create(api, "group", domain_id=domain["id"], description="d", colour="blue")
    assert group["domain_id"] == domain["id"] and group["colour"] == "blue"
    assert group["links"]["self"].endswith(f"/identity/v3/groups/{group['id']}")
    assert api.request("GET", f"/groups/{group['id']}").json()["group"] == group
    assert api.request("GET", "/groups", params={"domain_id": domain["id"]}).json()[
        "groups"] == [group]
    prefix = group["name"][:8]
    found = api.request("GET", "/groups", params={"name__startswith": prefix}).json()["groups"]
    assert group in found

    renamed = api.request("PATCH", f"/groups/{group['id']}", json={"group": {"name": "n2"}})
    # Changing one field leaves the others as they were.
    assert renamed.json()["group"]["description"] == "d"
    assert renamed.json()["group"]["domain_id"] == domain["id"]


def test_group_errors(api: Api) -> None:
    group = create(api, "group")
    other = create(api, "group")
    path = f"/groups/{group['id']}"
    assert api.request("POST", "/groups", json={"group": {}}).status_code == 400
    assert api.request("POST", "/groups", json={"group": {"name": "x" * 65}}).status_code == 400
    r = api.request("POST", "/groups", json={"group": {"name": group["name"]}})
    assert r.status_code == 409
    r = api.request("POST", "/groups", json={"group": {"name": uniq("g"), "domain_id": "abc"}})
    assert r.status_code == 404
    assert api.request("PATCH", path, json={"group": {"name": other["name"]}}).status_code == 409
    assert api.request("PATCH", path, json={"group": {"domain_id": "x"}}).status_code == 400
    assert api.request("PATCH", path, json={"group": {"id": "other"}}).status_code == 400
    assert api.request("PATCH", path, json={"group": {}}).status_code == 400
    assert api.request("GET", "/groups/nope").status_code == 404
    assert api.request("GET", "/groups/nope/users").status_code == 404
    assert api.request("DELETE", "/groups/nope").status_code == 404


def test_membership_checks(api: Api) -> None:
    group = create(api, "group")
    user = create(api, "user")
    member = f"/groups/{group['id']}/users/{user['id']}"
    assert api.request("HEAD", member).status_code == 404
    assert api.request("DELETE", member).status_code == 404
    assert api.request("PUT", f"/groups/{group['id']}/users/nobody").status_code == 404
    assert api.request("PUT", f"/groups/nope/users/{user['id']}").status_code == 404

    assert api.request("PUT", member).status_code == 204
    assert api.request("PUT", member).status_code == 204  # adding twice is fine
    head = api.request("HEAD", member)
    assert head.status_code == 204 and head.content == b""
    listed = api.request("GET", f"/groups/{group['id']}/users").json()["users"]
    assert listed == [user]  # the same view as the user's own
    groups = api.request("GET", f"/users/{user['id']}/groups").json()["groups"]
    assert groups == [group]
    assert api.request("GET", "/users/nobody/groups").status_code == 404

    filtered = api.request("GET", f"/groups/{group['id']}/users", params={"enabled": "false"})
    assert filtered.json()["users"] == []
    assert api.request("DELETE", member).status_code == 204
    assert api.request("HEAD", member).status_code == 404


def test_group_role_follows_membership(api: Api) -> None:
    """A role granted to a group reaches its members' tokens, and leaves with them."""
    project = create(api, "project")
    group = create(api, "group")
    user = create(api, "user", password=PASSWORD)
    grant(api, project["id"], group["id"], actor="groups")
    api.request("PUT", f"/groups/{group['id']}/users/{user['id']}")
    token = token_for(api, user["id"], PASSWORD, project["id"])
    r = api.request("GET", "/auth/tokens", headers={"X-Subject-Token": token})
    assert "member" in {role["name"] for role in r.json()["token"]["roles"]}

    assert api.request("DELETE", f"/groups/{group['id']}/users/{user['id']}").status_code == 204
    assert api.request("GET", f"/users/{user['id']}", token=token).status_code == 401


def test_delete_group_takes_its_grants(api: Api) -> None:
    project = create(api, "project")
    group = create(api, "group")
    user = create(api, "user", password=PASSWORD)
    grant(api, project["id"], group["id"], actor="groups")
    api.request("PUT", f"/groups/{group['id']}/users/{user['id']}")
    token = token_for(api, user["id"], PASSWORD, project["id"])
    assert api.request("DELETE", f"/groups/{group['id']}").status_code == 204
    assert api.request("GET", f"/groups/{group['id']}").status_code == 404
    assert api.request("GET", f"/users/{user['id']}", token=token).status_code == 401
    assert api.request("GET", f"/users/{user['id']}/groups").json()["groups"] == []
    assignments = api.request("GET", "/role_assignments", params={"group.id": group["id"]})
    assert assignments.status_code == 200 and assignments.json()["role_assignments"] == []


def test_non_admin_cannot_manage_groups(api: Api) -> None:
    project = create(api, "project")
    user = create(api, "user", password=PASSWORD)
    grant(api, project["id"], user["id"])
    token = token_for(api, user["id"], PASSWORD, project["id"])
    assert api.request("GET", "/groups", token=token).status_code == 403
    assert api.request("POST", "/groups", token=token,
                       json={"group": {"name": uniq("g")}}).status_code == 403
    group = create(api, "group")
    r = api.request("PUT", f"/groups/{group['id']}/users/{user['id']}", token=token)
    assert r.status_code == 403
