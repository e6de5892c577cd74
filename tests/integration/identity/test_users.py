"""Users: the real CLI's user commands, and Keystone's rules, errors and token revocation."""

from __future__ import annotations

from tests.conftest import Api
from tests.integration.identity.users_support import (
    PASSWORD,
    create,
    grant,
    login,
    member_user,
    openstack_as,
    token_for,
    uniq,
)
from tests.support import ADMIN_PASSWORD, Cloud


def admin(cloud: Cloud, *args: str) -> object:
    """The CLI as admin, for commands that print nothing (cloud.openstack adds -f json)."""
    return openstack_as(cloud, "admin", ADMIN_PASSWORD, "admin", *args)

# --- through the real clients ----------------------------------------------------------


def test_openstack_user_lifecycle(cloud: Cloud) -> None:
    name = uniq("cli-user")
    user = cloud.openstack("user", "create", "--domain", "default", "--password", PASSWORD,
                           "--email", f"{name}@example.org", "--description", "a person", name)
    assert user["name"] == name and user["domain_id"] == "default" and user["enabled"]
    assert user["email"] == f"{name}@example.org" and user["description"] == "a person"
    assert "password" not in user

    listed = cloud.openstack("user", "list", "--domain", "default", "--long")
    assert name in [u["Name"] for u in listed]

    admin(cloud, "user", "set", "--disable", "--email", "new@example.org", name)
    shown = cloud.openstack("user", "show", name)
    assert shown["id"] == user["id"] and shown["enabled"] is False
    assert shown["email"] == "new@example.org"

    cloud.openstack("user", "delete", name)
    gone = cloud.openstack("user", "show", name, check=False)
    assert gone.returncode != 0 and "No User found" in gone.stderr


def test_user_changes_own_password_with_the_cli(cloud: Cloud) -> None:
    name, project = uniq("pw-user"), uniq("pw-project")
    cloud.openstack("project", "create", "--domain", "default", project)
    user = cloud.openstack("user", "create", "--domain", "default", "--password", "first-pass",
                           name)
    admin(cloud, "role", "add", "--project", project, "--user", name, "member")
    # By id: a non-admin may not look other users up by name (Keystone answers 403 too).
    mine = openstack_as(cloud, name, "first-pass", project, "project", "list", "--user",
                        user["id"], "-f", "json")
    assert [p["Name"] for p in mine] == [project]

    openstack_as(cloud, name, "first-pass", project, "user", "password", "set",
                 "--original-password", "first-pass", "--password", "second-pass")

    token = openstack_as(cloud, name, "second-pass", project, "token", "issue", "-f", "json")
    assert token["project_id"] and token["user_id"]
    try:
        openstack_as(cloud, name, "first-pass", project, "token", "issue")
    except AssertionError as exc:
        assert "401" in str(exc) or "authenticat" in str(exc).lower()
    else:
        raise AssertionError("the old password still works")


# --- API shape and errors --------------------------------------------------------------


def test_user_view_keeps_extra_attributes_and_never_the_password(api: Api) -> None:
    user = create(api, "user", password=PASSWORD, email="a@example.org", description="d")
    assert user["email"] == "a@example.org" and user["description"] == "d"
    assert user["password_expires_at"] is None and user["options"] == {}
    assert "password" not in user and "default_project_id" not in user
    assert user["links"]["self"].endswith(f"/identity/v3/users/{user['id']}")
    shown = api.request("GET", f"/users/{user['id']}").json()["user"]
    assert shown == user
    listed = api.request("GET", "/users").json()["users"]
    assert user in listed


def test_create_user_errors(api: Api) -> None:
    def status(body: object) -> int:
        return int(api.request("POST", "/users", json=body).status_code)

    assert status({"user": {}}) == 400
    assert status({"user": {"name": ""}}) == 400
    assert status({"user": {"name": "x" * 256}}) == 400
    assert status({"user": {"name": uniq("u"), "enabled": "yes"}}) == 400
    assert status({"user": {"name": uniq("u"), "options": {"bogus": True}}}) == 400
    assert status({"user": {"name": uniq("u"), "domain_id": "no such domain!"}}) == 400
    assert status({"user": {"name": uniq("u"), "domain_id": "0123abcd"}}) == 404
    assert status({"user": {"name": uniq("u"), "default_project_id": "default"}}) == 400

    name = uniq("dup")
    assert status({"user": {"name": name}}) == 201
    r = api.request("POST", "/users", json={"user": {"name": name}})
    assert r.status_code == 409 and r.json()["error"]["code"] == 409
    other = create(api, "domain")
    assert status({"user": {"name": name, "domain_id": other["id"]}}) == 201


def test_update_user_rules(api: Api) -> None:
    user = create(api, "user")
    other = create(api, "user")
    path = f"/users/{user['id']}"

    same_id = api.request("PATCH", path, json={"user": {"id": user["id"], "email": "e@x"}})
    assert same_id.status_code == 200 and same_id.json()["user"]["email"] == "e@x"
    assert api.request("PATCH", path, json={"user": {"id": other["id"]}}).status_code == 400
    assert api.request("PATCH", path, json={"user": {}}).status_code == 400
    assert api.request("PATCH", path, json={"user": {"domain_id": "other"}}).status_code == 400
    assert api.request("PATCH", path, json={"user": {"name": other["name"]}}).status_code == 409
    assert api.request("PATCH", "/users/nope", json={"user": {"name": "n"}}).status_code == 404

    project = create(api, "project")
    r = api.request("PATCH", path, json={"user": {"default_project_id": project["id"]}})
    assert r.json()["user"]["default_project_id"] == project["id"]
    r = api.request("PATCH", path, json={"user": {"default_project_id": None}})
    assert "default_project_id" not in r.json()["user"]


def test_non_admin_sees_only_themselves(api: Api) -> None:
    user, project_id, token = member_user(api)
    other = create(api, "user")
    assert api.request("GET", "/users", token=token).status_code == 403
    assert api.request("POST", "/users", token=token,
                       json={"user": {"name": uniq("u")}}).status_code == 403
    assert api.request("GET", f"/users/{other['id']}", token=token).status_code == 403
    assert api.request("GET", f"/users/{user['id']}", token=token).json()["user"]["id"] == \
        user["id"]
    projects = api.request("GET", f"/users/{user['id']}/projects", token=token).json()
    assert [p["id"] for p in projects["projects"]] == [project_id]
    assert api.request("GET", f"/users/{other['id']}/projects", token=token).status_code == 403
    assert api.request("GET", f"/users/{user['id']}/groups", token=token).json()["groups"] == []


def test_user_projects_come_from_direct_and_group_grants(api: Api) -> None:
    user = create(api, "user")
    direct, via_group, unrelated = (create(api, "project") for _ in range(3))
    group = create(api, "group")
    assert api.request("PUT", f"/groups/{group['id']}/users/{user['id']}").status_code == 204
    grant(api, direct["id"], user["id"])
    grant(api, via_group["id"], group["id"], actor="groups")
    r = api.request("GET", f"/users/{user['id']}/projects")
    ids = {p["id"] for p in r.json()["projects"]}
    assert ids == {direct["id"], via_group["id"]} and unrelated["id"] not in ids
    named = api.request("GET", f"/users/{user['id']}/projects", params={"name": direct["name"]})
    assert [p["id"] for p in named.json()["projects"]] == [direct["id"]]


# --- passwords and token revocation ------------------------------------------------------


def test_change_own_password_revokes_tokens(api: Api) -> None:
    user, project_id, token = member_user(api)
    path = f"/users/{user['id']}/password"

    def change(body: object, token: str | None = None) -> int:
        headers = {"X-Auth-Token": token} if token else {}
        return int(api.client.post("/identity/v3" + path, json=body, headers=headers)
                   .status_code)

    assert change({"user": {"original_password": "wrong", "password": "new-pass"}}) == 401
    assert change({"user": {"password": "new-pass"}}) == 400
    assert change({"user": {"original_password": PASSWORD, "password": "n",
                            "extra": 1}}) == 400
    assert api.request("GET", path).status_code == 405
    assert api.request("GET", f"/users/{user['id']}", token=token).status_code == 200

    # No token needed: a user whose password expired has none.
    assert change({"user": {"original_password": PASSWORD, "password": "new-pass"}}) == 204
    assert api.request("GET", f"/users/{user['id']}", token=token).status_code == 401
    assert login(api, user["id"], PASSWORD).status_code == 401
    fresh = token_for(api, user["id"], "new-pass", project_id)
    assert api.request("GET", f"/users/{user['id']}", token=fresh).status_code == 200


def test_unknown_user_password_change_looks_like_a_wrong_password(api: Api) -> None:
    body = {"user": {"original_password": "x", "password": "y"}}
    unknown = api.client.post("/identity/v3/users/nobody/password", json=body)
    user = create(api, "user", password=PASSWORD)
    wrong = api.client.post(f"/identity/v3/users/{user['id']}/password", json=body)
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["error"]["message"] == wrong.json()["error"]["message"]


def test_admin_reset_and_disable_revoke_tokens(api: Api) -> None:
    user, project_id, token = member_user(api)
    path = f"/users/{user['id']}"
    assert api.request("PATCH", path, json={"user": {"password": "reset-pass"}}).status_code == 200
    assert api.request("GET", path, token=token).status_code == 401
    token = token_for(api, user["id"], "reset-pass", project_id)

    assert api.request("PATCH", path, json={"user": {"enabled": False}}).status_code == 200
    assert api.request("GET", path, token=token).status_code == 401
    assert login(api, user["id"], "reset-pass").status_code == 401
    assert api.request("PATCH", path, json={"user": {"enabled": True}}).status_code == 200
    # Enabling again does not bring back the tokens revoked by disabling.
    assert api.request("GET", path, token=token).status_code == 401
    assert login(api, user["id"], "reset-pass").status_code == 201


def test_delete_user_revokes_tokens_and_memberships(api: Api) -> None:
    user, _project_id, token = member_user(api)
    group = create(api, "group")
    api.request("PUT", f"/groups/{group['id']}/users/{user['id']}")
    assert api.request("DELETE", f"/users/{user['id']}").status_code == 204
    assert api.request("GET", f"/users/{user['id']}", token=token).status_code == 401
    assert api.request("GET", f"/users/{user['id']}").status_code == 404
    assert api.request("GET", f"/groups/{group['id']}/users").json()["users"] == []
    assert api.request("DELETE", f"/users/{user['id']}").status_code == 404


def test_list_filters(api: Api) -> None:
    domain = create(api, "domain")
    tag = uniq("flt")
    on = create(api, "user", name=f"{tag}-on", domain_id=domain["id"])
    off = create(api, "user", name=f"{tag}-off", enabled=False)

    def names(**params: str) -> set[str]:
        r = api.request("GET", "/users", params=params)
        assert r.status_code == 200, r.text
        return {u["name"] for u in r.json()["users"]}

    assert off["name"] in names(enabled="False") and on["name"] not in names(enabled="False")
    assert names(domain_id=domain["id"]) == {on["name"]}
    assert names(name=on["name"]) == {on["name"]}
    assert names(name__startswith=tag) == {on["name"], off["name"]}
    assert names(name__icontains=f"{tag}-ON".upper()) == {on["name"]}
    # Passwords here never expire, so no user matches an expiry comparison.
    assert names(password_expires_at="lt:2999-01-01T00:00:00Z") == set()
    r = api.request("GET", "/users", params={"password_expires_at": "lt:yesterday"})
    assert r.status_code == 400


def test_locked_password_cannot_be_changed_by_its_owner(api: Api) -> None:
    user = create(api, "user", password=PASSWORD, options={"lock_password": True})
    assert user["options"] == {"lock_password": True}
    body = {"user": {"original_password": PASSWORD, "password": "mine-now"}}
    r = api.client.post(f"/identity/v3/users/{user['id']}/password", json=body)
    assert r.status_code == 400  # Keystone: a validation error
    assert login(api, user["id"], PASSWORD).status_code == 201
    # The admin still can, and unlocking (null) hands it back to the user.
    api.request("PATCH", f"/users/{user['id']}", json={"user": {"options": {
        "lock_password": None}}})
    r = api.client.post(f"/identity/v3/users/{user['id']}/password", json=body)
    assert r.status_code == 204
    assert api.request("GET", f"/users/{user['id']}").json()["user"]["options"] == {}
