"""Roles and implied roles: the real `openstack` CLI, and raw HTTP for shapes and errors."""

from __future__ import annotations

from tests.conftest import Api
from tests.integration.identity import roles_support as h
from tests.support import ADMIN_PASSWORD, Cloud


def test_openstack_role_and_implied_role_commands(cloud: Cloud) -> None:
    prior = cloud.openstack("role", "create", h.name("prior"))
    implied = cloud.openstack("role", "create", h.name("implied"))
    assert prior["name"] in {r["Name"] for r in cloud.openstack("role", "list")}
    cloud.openstack("implied", "role", "create", prior["id"], "--implied-role", implied["id"])
    rules = cloud.openstack("implied", "role", "list")
    assert any(r["Prior Role ID"] == prior["id"] and r["Implied Role ID"] == implied["id"]
               for r in rules)
    # (`openstack role set` takes no -f, which tests.support adds to every "set".)
    sdk = cloud.sdk(username="admin", password=ADMIN_PASSWORD, project_name="admin")
    sdk.identity.update_role(prior["id"], name=prior["name"] + "-x")
    assert cloud.openstack("role", "show", prior["id"])["name"] == prior["name"] + "-x"
    cloud.openstack("implied", "role", "delete", prior["id"], "--implied-role", implied["id"])
    cloud.openstack("role", "delete", prior["id"], implied["id"])
    gone = cloud.openstack("role", "show", prior["id"], check=False)
    assert gone.returncode != 0


def test_role_crud_shape(api: Api) -> None:
    role = h.role(api, description="does things")
    assert role["domain_id"] is None and role["options"] == {}
    assert role["description"] == "does things"
    assert role["links"]["self"].endswith(f"/identity/v3/roles/{role['id']}")
    assert h.ok(api.request("GET", f"/roles/{role['id']}"), 200)["role"] == role
    listed = h.ok(api.request("GET", "/roles"), 200)
    assert role in listed["roles"] and listed["links"]["self"]
    by_name = h.ok(api.request("GET", "/roles", params={"name": role["name"]}), 200)["roles"]
    assert [r["id"] for r in by_name] == [role["id"]]

    new = h.name("renamed")
    updated = h.ok(api.request("PATCH", f"/roles/{role['id']}", json={"role": {"name": new}}),
                   200)["role"]
    assert updated["name"] == new and updated["id"] == role["id"]
    assert h.ok(api.request("GET", f"/roles/{role['id']}"), 200)["role"]["name"] == new

    h.ok(api.request("DELETE", f"/roles/{role['id']}"), 204)
    assert api.request("GET", f"/roles/{role['id']}").status_code == 404
    assert api.request("DELETE", f"/roles/{role['id']}").status_code == 404


def test_role_names_are_unique_per_domain(api: Api) -> None:
    role = h.role(api)
    r = api.request("POST", "/roles", json={"role": {"name": role["name"]}})
    assert r.status_code == 409 and r.json()["error"]["code"] == 409
    other = h.role(api)
    r = api.request("PATCH", f"/roles/{other['id']}", json={"role": {"name": role["name"]}})
    assert r.status_code == 409

    domain = h.domain(api)
    in_domain = h.role(api, domain_id=domain["id"], name=role["name"])
    assert in_domain["domain_id"] == domain["id"]
    r = api.request("POST", "/roles", json={"role": {"name": role["name"],
                                                      "domain_id": domain["id"]}})
    assert r.status_code == 409


def test_domain_roles_are_listed_only_by_domain(api: Api) -> None:
    domain = h.domain(api)
    dsr = h.role(api, domain_id=domain["id"])
    listed = h.ok(api.request("GET", "/roles", params={"domain_id": domain["id"]}), 200)
    assert listed["roles"] == [dsr]
    assert dsr["id"] not in {r["id"] for r in h.ok(api.request("GET", "/roles"), 200)["roles"]}
    h.ok(api.request("DELETE", f"/roles/{dsr['id']}"), 204)
    assert h.ok(api.request("GET", "/roles", params={"domain_id": domain["id"]}),
                200)["roles"] == []


def test_invalid_role_requests(api: Api) -> None:
    assert api.request("POST", "/roles", json={"role": {}}).status_code == 400
    assert api.request("POST", "/roles", json={"role": {"name": "  "}}).status_code == 400
    assert api.request("POST", "/roles", json={"role": {"name": 5}}).status_code == 400
    assert api.request("POST", "/roles", json={"name": "x"}).status_code == 400
    r = api.request("POST", "/roles", json={"role": {"name": h.name("r"),
                                                      "options": {"bogus": True}}})
    assert r.status_code == 400
    r = api.request("POST", "/roles", json={"role": {"name": h.name("r"),
                                                      "domain_id": "nowhere"}})
    assert r.status_code == 404
    role = h.role(api)
    r = api.request("PATCH", f"/roles/{role['id']}", json={"role": {"domain_id": "default"}})
    assert r.status_code == 400
    assert api.request("PATCH", "/roles/nope", json={"role": {"name": "x"}}).status_code == 404


def test_immutable_role_refuses_change_until_flag_cleared(api: Api) -> None:
    role = h.role(api, options={"immutable": True})
    assert role["options"] == {"immutable": True}
    r = api.request("PATCH", f"/roles/{role['id']}", json={"role": {"name": h.name("x")}})
    assert r.status_code == 403
    assert api.request("DELETE", f"/roles/{role['id']}").status_code == 403
    cleared = h.ok(api.request("PATCH", f"/roles/{role['id']}",
                               json={"role": {"options": {"immutable": False}}}), 200)["role"]
    assert cleared["options"] == {"immutable": False}
    h.ok(api.request("DELETE", f"/roles/{role['id']}"), 204)


def test_role_calls_need_admin(api: Api) -> None:
    uid = h.user(api)
    project = h.project(api)
    member = h.ok(api.request("GET", "/roles", params={"name": "member"}), 200)["roles"][0]
    h.ok(api.request("PUT", f"/projects/{project['id']}/users/{uid}/roles/{member['id']}"), 204)
    token = h.ok_token(api, uid, {"project": {"id": project["id"]}})
    assert api.request("POST", "/roles", token=token,
                       json={"role": {"name": h.name("r")}}).status_code == 403
    assert api.request("GET", "/role_assignments", token=token).status_code == 403
    assert api.request("GET", "/roles", headers={"X-Auth-Token": ""}).status_code == 401


def test_system_readers_read_roles_and_assignments_but_change_nothing(api: Api) -> None:
    uid = h.user(api)
    reader = h.ok(api.request("GET", "/roles", params={"name": "reader"}), 200)["roles"][0]
    h.ok(api.request("PUT", f"/system/users/{uid}/roles/{reader['id']}"), 204)
    token = h.ok_token(api, uid, {"system": {"all": True}})
    assert api.request("GET", "/roles", token=token).status_code == 200
    assert api.request("GET", f"/roles/{reader['id']}", token=token).status_code == 200
    assert api.request("GET", "/role_inferences", token=token).status_code == 200
    found = h.ok(api.request("GET", "/role_assignments", token=token,
                             params={"user.id": uid}), 200)["role_assignments"]
    assert [a["role"]["id"] for a in found] == [reader["id"]]
    assert api.request("GET", f"/system/users/{uid}/roles", token=token).status_code == 200
    assert api.request("POST", "/roles", token=token,
                       json={"role": {"name": h.name("r")}}).status_code == 403
    assert api.request("PUT", f"/system/users/{uid}/roles/{reader['id']}",
                       token=token).status_code == 403


# --- implied roles ------------------------------------------------------------------------


def test_implied_role_lifecycle_and_shapes(api: Api) -> None:
    prior, implied, other = h.role(api), h.role(api), h.role(api)
    path = f"/roles/{prior['id']}/implies/{implied['id']}"
    body = h.ok(api.request("PUT", path), 201)
    inference = body["role_inference"]
    assert inference["prior_role"] == {"id": prior["id"], "name": prior["name"],
                                       "links": prior["links"]}
    assert inference["implies"] == {"id": implied["id"], "name": implied["name"],
                                    "links": implied["links"]}
    assert body["links"]["self"].endswith("/v3" + path)
    assert h.ok(api.request("GET", path), 200) == body
    check = api.request("HEAD", path)
    assert check.status_code == 204
    h.ok(api.request("PUT", f"/roles/{prior['id']}/implies/{other['id']}"), 201)
    h.ok(api.request("PUT", f"/roles/{other['id']}/implies/{implied['id']}"), 201)

    listed = h.ok(api.request("GET", f"/roles/{prior['id']}/implies"), 200)
    assert listed["role_inference"]["prior_role"]["id"] == prior["id"]
    assert {r["id"] for r in listed["role_inference"]["implies"]} == {implied["id"], other["id"]}

    rules = h.ok(api.request("GET", "/role_inferences"), 200)["role_inferences"]
    mine = {r["prior_role"]["id"]: {i["id"] for i in r["implies"]} for r in rules}
    assert mine[prior["id"]] == {implied["id"], other["id"]}
    assert mine[other["id"]] == {implied["id"]}

    h.ok(api.request("DELETE", path), 204)
    assert api.request("GET", path).status_code == 404
    assert api.request("HEAD", path).status_code == 404
    assert api.request("DELETE", path).status_code == 404


def test_implied_role_errors(api: Api) -> None:
    prior, implied = h.role(api), h.role(api)
    assert api.request("PUT", f"/roles/{prior['id']}/implies/nope").status_code == 404
    assert api.request("PUT", f"/roles/nope/implies/{implied['id']}").status_code == 404
    assert api.request("GET", "/roles/nope/implies").status_code == 404
    h.ok(api.request("PUT", f"/roles/{prior['id']}/implies/{implied['id']}"), 201)
    assert api.request("PUT", f"/roles/{prior['id']}/implies/{implied['id']}"
                       ).status_code == 409
    admin = h.ok(api.request("GET", "/roles", params={"name": "admin"}), 200)["roles"][0]
    assert api.request("PUT", f"/roles/{prior['id']}/implies/{admin['id']}").status_code == 403


def test_domain_roles_imply_but_are_not_implied_by_global_roles(api: Api) -> None:
    domain, other_domain = h.domain(api), h.domain(api)
    dsr1, dsr2 = h.role(api, domain_id=domain["id"]), h.role(api, domain_id=domain["id"])
    dsr3 = h.role(api, domain_id=other_domain["id"])
    glob = h.role(api)
    h.ok(api.request("PUT", f"/roles/{dsr1['id']}/implies/{dsr2['id']}"), 201)
    h.ok(api.request("PUT", f"/roles/{dsr1['id']}/implies/{dsr3['id']}"), 201)
    h.ok(api.request("PUT", f"/roles/{dsr1['id']}/implies/{glob['id']}"), 201)
    r = api.request("PUT", f"/roles/{glob['id']}/implies/{dsr1['id']}")
    assert r.status_code == 403 and r.json()["error"]["code"] == 403


def test_implied_roles_reach_the_token_and_deleting_a_role_removes_its_rules(api: Api) -> None:
    prior, implied = h.role(api), h.role(api)
    h.ok(api.request("PUT", f"/roles/{prior['id']}/implies/{implied['id']}"), 201)
    uid, project = h.user(api), h.project(api)
    h.ok(api.request("PUT", f"/projects/{project['id']}/users/{uid}/roles/{prior['id']}"), 204)
    roles = {r["id"] for r in h.user_token(api, uid, project["id"])["roles"]}
    assert roles == {prior["id"], implied["id"]}

    h.ok(api.request("DELETE", f"/roles/{implied['id']}"), 204)
    listed = h.ok(api.request("GET", f"/roles/{prior['id']}/implies"), 200)
    assert listed["role_inference"]["implies"] == []
    roles = {r["id"] for r in h.user_token(api, uid, project["id"])["roles"]}
    assert roles == {prior["id"]}
