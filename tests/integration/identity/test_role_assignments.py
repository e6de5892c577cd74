"""Grants (project, domain, system, OS-INHERIT) and GET /v3/role_assignments."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.integration.identity import roles_support as h
from tests.support import Cloud


def _assignments(api: Api, **params: Any) -> list[dict[str, Any]]:
    return h.ok(api.request("GET", "/role_assignments", params=params),
                200)["role_assignments"]


def _effective(api: Api, **params: Any) -> list[dict[str, Any]]:
    return _assignments(api, effective="", **params)


# --- the real CLI ----------------------------------------------------------------------------


def test_openstack_role_add_and_assignment_list(cloud: Cloud) -> None:
    user = cloud.openstack("user", "create", "--password", "pw-" + h.name("x"), h.name("cli"))
    project = cloud.openstack("project", "create", h.name("cliproj"))
    cloud.openstack("role", "add", "--user", user["name"], "--project", project["name"],
                    "member")

    rows = cloud.openstack("role", "assignment", "list", "--user", user["name"],
                           "--project", project["name"])
    member = cloud.openstack("role", "show", "member")
    assert [(r["Role"], r["User"], r["Project"]) for r in rows] == [
        (member["id"], user["id"], project["id"])]

    named = cloud.openstack("role", "assignment", "list", "--effective", "--names")
    mine = {r["Role"] for r in named
            if r["User"] == f"{user['name']}@Default"
            and r["Project"] == f"{project['name']}@Default"}
    # member implies reader (bootstrap's rule), so both take effect.
    assert mine == {"member", "reader"}

    cloud.openstack("role", "remove", "--user", user["name"], "--project", project["name"],
                    "member")
    assert cloud.openstack("role", "assignment", "list", "--user", user["id"],
                           "--project", project["id"]) == []


# --- grants ------------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ["users", "groups"])
@pytest.mark.parametrize("target", ["projects", "domains", "system"])
def test_grant_check_list_revoke(api: Api, actor: str, target: str) -> None:
    actor_id = h.user(api) if actor == "users" else h.group(api)
    if target == "projects":
        base = f"/projects/{h.project(api)['id']}"
    elif target == "domains":
        base = f"/domains/{h.domain(api)['id']}"
    else:
        base = "/system"
    role = h.role(api)
    one = f"{base}/{actor}/{actor_id}/roles/{role['id']}"

    assert api.request("HEAD", one).status_code == 404
    h.ok(api.request("PUT", one), 204)
    h.ok(api.request("PUT", one), 204)  # granting twice is not an error
    assert api.request("HEAD", one).status_code == 204
    assert api.request("GET", one).status_code == 204
    listed = h.ok(api.request("GET", f"{base}/{actor}/{actor_id}/roles"), 200)
    assert listed["roles"] == [role]
    h.ok(api.request("DELETE", one), 204)
    assert api.request("HEAD", one).status_code == 404
    r = api.request("DELETE", one)
    assert r.status_code == 404 and r.json()["error"]["code"] == 404
    assert h.ok(api.request("GET", f"{base}/{actor}/{actor_id}/roles"), 200)["roles"] == []


def test_grants_on_unknown_things_are_404(api: Api) -> None:
    uid, gid, project, domain = h.user(api), h.group(api), h.project(api), h.domain(api)
    role = h.role(api)
    for path in (
        f"/projects/nope/users/{uid}/roles/{role['id']}",
        f"/projects/{project['id']}/users/nope/roles/{role['id']}",
        f"/projects/{project['id']}/groups/nope/roles/{role['id']}",
        f"/projects/{project['id']}/users/{uid}/roles/nope",
        f"/domains/nope/groups/{gid}/roles/{role['id']}",
        f"/domains/{project['id']}/users/{uid}/roles/{role['id']}",  # a project, not a domain
        f"/projects/{domain['id']}/users/{uid}/roles/{role['id']}",  # a domain, not a project
        f"/system/users/nope/roles/{role['id']}",
        f"/OS-INHERIT/domains/{domain['id']}/users/nope/roles/{role['id']}"
        "/inherited_to_projects",
    ):
        r = api.request("PUT", path)
        assert r.status_code == 404, path
        assert r.json()["error"]["message"].startswith("Could not find"), path
    assert api.request("GET", f"/projects/nope/users/{uid}/roles").status_code == 404
    assert api.request("GET", f"/projects/{project['id']}/users/nope/roles").status_code == 404


def test_domain_specific_roles_stay_in_their_domain(api: Api) -> None:
    domain = h.domain(api)
    dsr = h.role(api, domain_id=domain["id"])
    uid = h.user(api)
    inside = h.project(api, domain["id"])
    outside = h.project(api)
    h.ok(api.request("PUT", f"/projects/{inside['id']}/users/{uid}/roles/{dsr['id']}"), 204)
    r = api.request("PUT", f"/projects/{outside['id']}/users/{uid}/roles/{dsr['id']}")
    assert r.status_code == 403
    assert api.request("PUT", f"/system/users/{uid}/roles/{dsr['id']}").status_code == 400


def test_inherited_domain_grant_reaches_every_project_in_the_domain(api: Api) -> None:
    domain = h.domain(api)
    parent = h.project(api, domain["id"])
    leaf = h.project(api, domain["id"], parent_id=parent["id"])
    uid, role = h.user(api, domain["id"]), h.role(api)
    base = f"/OS-INHERIT/domains/{domain['id']}/users/{uid}/roles"
    one = f"{base}/{role['id']}/inherited_to_projects"

    h.ok(api.request("PUT", one), 204)
    assert api.request("HEAD", one).status_code == 204
    listed = h.ok(api.request("GET", f"{base}/inherited_to_projects"), 200)["roles"]
    assert [r["id"] for r in listed] == [role["id"]]
    # An inherited grant is not a grant on the domain itself.
    assert h.ok(api.request("GET", f"/domains/{domain['id']}/users/{uid}/roles"),
                200)["roles"] == []
    assert _effective(api, **{"user.id": uid, "scope.domain.id": domain["id"]}) == []

    for project in (parent, leaf):
        found = _effective(api, **{"user.id": uid, "scope.project.id": project["id"]})
        assert [a["role"]["id"] for a in found] == [role["id"]]
        assert found[0]["scope"] == {"project": {"id": project["id"]},
                                     "OS-INHERIT:inherited_to": "projects"}
        assert found[0]["links"]["assignment"].endswith(f"/v3{one}")
        token_roles = {r["id"] for r in h.user_token(api, uid, project["id"])["roles"]}
        assert token_roles == {role["id"]}

    stored = _assignments(api, **{"user.id": uid})
    assert stored == [{
        "scope": {"domain": {"id": domain["id"]}, "OS-INHERIT:inherited_to": "projects"},
        "user": {"id": uid}, "role": {"id": role["id"]},
        "links": {"assignment": stored[0]["links"]["assignment"]},
    }]
    assert _assignments(api, **{"user.id": uid,
                                "scope.OS-INHERIT:inherited_to": "projects"}) == stored
    assert _assignments(api, **{"user.id": uid, "scope.OS-INHERIT:inherited_to": "no"}) == []

    h.ok(api.request("DELETE", one), 204)
    for project in (parent, leaf):
        assert _effective(api, **{"user.id": uid, "scope.project.id": project["id"]}) == []


def test_inherited_project_grant_reaches_the_subtree_only(api: Api) -> None:
    parent = h.project(api)
    leaf = h.project(api, parent_id=parent["id"])
    gid = h.group(api)
    uid = h.user(api)
    h.add_member(api, gid, uid)
    role = h.role(api)
    one = f"/OS-INHERIT/projects/{parent['id']}/groups/{gid}/roles/{role['id']}" \
          "/inherited_to_projects"
    h.ok(api.request("PUT", one), 204)
    assert api.request("HEAD", one).status_code == 204

    assert _effective(api, **{"user.id": uid, "scope.project.id": parent["id"]}) == []
    found = _effective(api, **{"user.id": uid, "scope.project.id": leaf["id"]})
    assert [a["role"]["id"] for a in found] == [role["id"]]
    assert found[0]["links"]["membership"].endswith(f"/v3/groups/{gid}/users/{uid}")
    # include_subtree from the parent shows where the grant lands.
    tree = _effective(api, **{"user.id": uid, "scope.project.id": parent["id"],
                              "include_subtree": "True"})
    assert [a["scope"]["project"]["id"] for a in tree] == [leaf["id"]]
    h.ok(api.request("DELETE", one), 204)
    assert _effective(api, **{"user.id": uid, "scope.project.id": leaf["id"]}) == []


# --- GET /role_assignments ---------------------------------------------------------------------


def test_direct_listing_and_filters(api: Api) -> None:
    uid, gid, project, role = h.user(api), h.group(api), h.project(api), h.role(api)
    other = h.role(api)
    h.ok(api.request("PUT", f"/projects/{project['id']}/users/{uid}/roles/{role['id']}"), 204)
    h.ok(api.request("PUT", f"/projects/{project['id']}/groups/{gid}/roles/{other['id']}"),
         204)
    h.ok(api.request("PUT", f"/system/users/{uid}/roles/{other['id']}"), 204)

    on_project = _assignments(api, **{"scope.project.id": project["id"]})
    assert {(a.get("user", {}).get("id"), a.get("group", {}).get("id"), a["role"]["id"])
            for a in on_project} == {(uid, None, role["id"]), (None, gid, other["id"])}
    assert len(on_project) == 2
    mine = _assignments(api, **{"user.id": uid, "scope.project.id": project["id"]})
    assert mine == [{
        "scope": {"project": {"id": project["id"]}}, "user": {"id": uid},
        "role": {"id": role["id"]},
        "links": {"assignment": mine[0]["links"]["assignment"]},
    }]
    assert mine[0]["links"]["assignment"].endswith(
        f"/identity/v3/projects/{project['id']}/users/{uid}/roles/{role['id']}")
    system = _assignments(api, **{"user.id": uid, "scope.system": "all"})
    assert [(a["scope"], a["role"]["id"]) for a in system] == [({"system": {"all": True}},
                                                                 other["id"])]
    assert system[0]["links"]["assignment"].endswith(
        f"/v3/system/users/{uid}/roles/{other['id']}")
    everything = _assignments(api, **{"user.id": uid})
    assert len(everything) == 2
    by_role = _assignments(api, **{"role.id": other["id"]})
    assert {(a.get("user") or a["group"])["id"] for a in by_role} == {uid, gid}
    by_group = _assignments(api, **{"group.id": gid})
    assert [a["role"]["id"] for a in by_group] == [other["id"]]


def test_effective_listing_expands_groups_and_implied_roles(api: Api) -> None:
    project = h.project(api)
    uid1, uid2 = h.user(api), h.user(api)
    gid = h.group(api, members=(uid1, uid2))
    prior, implied = h.role(api), h.role(api)
    h.ok(api.request("PUT", f"/roles/{prior['id']}/implies/{implied['id']}"), 201)
    h.ok(api.request("PUT", f"/projects/{project['id']}/groups/{gid}/roles/{prior['id']}"),
         204)

    found = _effective(api, **{"scope.project.id": project["id"]})
    assert sorted((a["user"]["id"], a["role"]["id"]) for a in found) == sorted(
        [(u, r) for u in (uid1, uid2) for r in (prior["id"], implied["id"])])
    assert all("group" not in a for a in found)
    for a in found:
        assert a["links"]["membership"].endswith(f"/v3/groups/{gid}/users/{a['user']['id']}")
        # Every one of them comes from the same grant: the group's prior role.
        assert a["links"]["assignment"].endswith(
            f"/v3/projects/{project['id']}/groups/{gid}/roles/{prior['id']}")
    via_rule = [a for a in found if a["role"]["id"] == implied["id"]]
    assert all(a["links"]["prior_role"].endswith(
        f"/v3/roles/{prior['id']}/implies/{implied['id']}") for a in via_rule)

    only_implied = _effective(api, **{"user.id": uid1, "role.id": implied["id"]})
    assert [a["role"]["id"] for a in only_implied] == [implied["id"]]

    h.ok(api.request("DELETE", f"/roles/{prior['id']}/implies/{implied['id']}"), 204)
    after = _effective(api, **{"user.id": uid1, "scope.project.id": project["id"]})
    assert [a["role"]["id"] for a in after] == [prior["id"]]


def test_effective_listing_hides_domain_roles_but_keeps_what_they_imply(api: Api) -> None:
    domain = h.domain(api)
    project = h.project(api, domain["id"])
    uid = h.user(api)
    dsr, glob = h.role(api, domain_id=domain["id"]), h.role(api)
    h.ok(api.request("PUT", f"/projects/{project['id']}/users/{uid}/roles/{dsr['id']}"), 204)
    params = {"user.id": uid, "scope.project.id": project["id"]}
    assert _effective(api, **params) == []
    assert [a["role"]["id"] for a in _assignments(api, **params)] == [dsr["id"]]
    h.ok(api.request("PUT", f"/roles/{dsr['id']}/implies/{glob['id']}"), 201)
    assert [a["role"]["id"] for a in _effective(api, **params)] == [glob["id"]]
    assert {r["id"] for r in h.user_token(api, uid, project["id"])["roles"]} == {glob["id"]}


def test_include_names(api: Api) -> None:
    domain = h.domain(api)
    project = h.project(api, domain["id"])
    uid = h.user(api, domain["id"])
    dsr = h.role(api, domain_id=domain["id"])
    h.ok(api.request("PUT", f"/projects/{project['id']}/users/{uid}/roles/{dsr['id']}"), 204)
    h.ok(api.request("PUT", f"/domains/{domain['id']}/users/{uid}/roles/{dsr['id']}"), 204)
    found = _assignments(api, include_names="True", **{"user.id": uid})
    by_scope = {next(iter(a["scope"])): a for a in found}
    user_name = by_scope["project"]["user"]["name"]
    assert by_scope["project"]["user"] == {
        "id": uid, "name": user_name, "domain": {"id": domain["id"], "name": domain["name"]}}
    assert by_scope["project"]["scope"]["project"] == {
        "id": project["id"], "name": project["name"],
        "domain": {"id": domain["id"], "name": domain["name"]}}
    assert by_scope["domain"]["scope"]["domain"] == {"id": domain["id"], "name": domain["name"]}
    assert by_scope["domain"]["role"] == {
        "id": dsr["id"], "name": dsr["name"],
        "domain": {"id": domain["id"], "name": domain["name"]}}
    plain = _assignments(api, include_names="0", **{"user.id": uid})
    assert all(set(a["user"]) == {"id"} for a in plain)


def test_filter_combinations_refused(api: Api) -> None:
    for params in (
        {"scope.project.id": "p", "scope.domain.id": "d"},
        {"scope.system": "all", "scope.domain.id": "d"},
        {"scope.system": "all", "scope.project.id": "p"},
        {"user.id": "u", "group.id": "g"},
        {"effective": "", "group.id": "g"},
        {"effective": "", "scope.domain.id": "d", "scope.OS-INHERIT:inherited_to": "projects"},
        {"include_subtree": "True"},
    ):
        r = api.request("GET", "/role_assignments", params=params)
        assert r.status_code == 400, params
    r = api.request("GET", "/role_assignments",
                    params={"include_subtree": "True", "scope.project.id": "nope"})
    assert r.status_code == 404


def test_revoking_a_role_takes_effect_on_existing_tokens(api: Api) -> None:
    uid, project = h.user(api), h.project(api)
    member = h.ok(api.request("GET", "/roles", params={"name": "member"}), 200)["roles"][0]
    path = f"/projects/{project['id']}/users/{uid}/roles/{member['id']}"
    h.ok(api.request("PUT", path), 204)
    token = h.ok_token(api, uid, {"project": {"id": project["id"]}})
    check = {"X-Subject-Token": token}
    roles = h.ok(api.request("GET", "/auth/tokens", headers=check), 200)["token"]["roles"]
    assert {r["name"] for r in roles} == {"member", "reader"}
    h.ok(api.request("DELETE", path), 204)
    assert api.request("GET", "/auth/tokens", headers=check).status_code == 404
