"""Application credentials and access rules."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from typing import Any

from runtime.identity import models as m
from tests.conftest import Api
from tests.integration.identity import delegation_support as ds
from tests.support import BIN, Cloud


def _create(api: Api, token: str, user_id: str, **body: Any) -> Any:
    body.setdefault("name", ds.name("ac"))
    return api.request("POST", f"/users/{user_id}/application_credentials", token=token,
                       json={"application_credential": body})


def _ac_auth(ac_id: str, secret: str) -> dict[str, Any]:
    return {"auth": {"identity": {"methods": ["application_credential"],
                                  "application_credential": {"id": ac_id, "secret": secret}}}}


def _ac_token(api: Api, ac_id: str, secret: str) -> Any:
    return ds.issue(api, _ac_auth(ac_id, secret))


# --- with the real clients --------------------------------------------------------------


def _openstack_with_app_cred(cloud: Cloud, ac_id: str, secret: str, *args: str) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    cmd = [str(BIN / "openstack"), "--os-auth-type", "v3applicationcredential",
           "--os-auth-url", cloud.auth_url, "--os-identity-api-version", "3",
           "--os-application-credential-id", ac_id,
           "--os-application-credential-secret", secret, *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)


def test_openstack_application_credential_lifecycle_and_login(cloud: Cloud) -> None:
    name = ds.name("ci")
    ac = cloud.openstack("application", "credential", "create", name, "--role", "reader",
                         "--description", "for CI")
    assert ac["Name"] == name and ac["Secret"] and ac["Description"] == "for CI"
    assert "reader" in str(ac["Roles"]) and "admin" not in str(ac["Roles"])

    listed = cloud.openstack("application", "credential", "list")
    assert name in {row["Name"] for row in listed}
    shown = cloud.openstack("application", "credential", "show", name)
    assert shown["ID"] == ac["ID"] and not shown.get("Secret")

    proc = _openstack_with_app_cred(cloud, ac["ID"], ac["Secret"], "token", "issue",
                                    "-f", "json")
    assert proc.returncode == 0, proc.stderr
    token = json.loads(proc.stdout)
    assert token["project_id"] == ac["Project ID"]

    cloud.openstack("application", "credential", "delete", name)
    assert name not in {row["Name"] for row in
                        cloud.openstack("application", "credential", "list")}
    proc = _openstack_with_app_cred(cloud, ac["ID"], ac["Secret"], "token", "issue")
    assert proc.returncode != 0


# --- creation ---------------------------------------------------------------------------


def test_secret_is_shown_once_and_kept_only_as_a_hash(api: Api) -> None:
    ident = ds.identity(api)
    uid, pid = ds.member_of_new_project(ident)
    tok = ds.token(api, uid, pid)
    ac = ds.ok(_create(api, tok, uid), 201)["application_credential"]
    assert len(ac["secret"]) >= 64 and ac["project_id"] == pid and ac["unrestricted"] is False
    assert ac["links"]["self"].endswith(f"/v3/users/{uid}/application_credentials/{ac['id']}")
    # Roles default to the token's: member and the reader it implies.
    assert {r["name"] for r in ac["roles"]} == {"member", "reader"}
    shown = ds.ok(api.request("GET", f"/users/{uid}/application_credentials/{ac['id']}",
                              token=tok), 200)["application_credential"]
    assert "secret" not in shown and shown["name"] == ac["name"]
    with ident.read() as s:
        row = s.get(m.ApplicationCredential, ac["id"])
        assert row is not None and row.secret_hash.startswith("$2")
        assert ac["secret"] not in row.secret_hash

    chosen = ds.ok(_create(api, tok, uid, secret="my-own-secret"), 201)
    assert chosen["application_credential"]["secret"] == "my-own-secret"
    assert _ac_token(api, chosen["application_credential"]["id"],
                     "my-own-secret").status_code == 201


def test_names_are_unique_per_user_and_listing_filters_by_name(api: Api) -> None:
    ident = ds.identity(api)
    uid, pid = ds.member_of_new_project(ident)
    other, _ = ds.member_of_new_project(ident)
    ds.grant(ident, other, pid, "member")
    tok, other_tok = ds.token(api, uid, pid), ds.token(api, other, pid)
    ds.ok(_create(api, tok, uid, name="shared"), 201)
    assert _create(api, tok, uid, name="shared").status_code == 409
    ds.ok(_create(api, other_tok, other, name="shared"), 201)  # another user may
    ds.ok(_create(api, tok, uid, name="second"), 201)
    path = f"/users/{uid}/application_credentials"
    assert len(ds.ok(api.request("GET", path, token=tok), 200)["application_credentials"]) == 2
    named = ds.ok(api.request("GET", path + "?name=second", token=tok),
                  200)["application_credentials"]
    assert [a["name"] for a in named] == ["second"]


def test_roles_must_be_a_subset_of_the_callers(api: Api) -> None:
    ident = ds.identity(api)
    uid, pid = ds.member_of_new_project(ident, "reader")
    tok = ds.token(api, uid, pid)
    assert _create(api, tok, uid, roles=[{"name": "member"}]).status_code == 400
    assert _create(api, tok, uid, roles=[{"name": "no-such-role"}]).status_code == 404
    ac = ds.ok(_create(api, tok, uid, roles=[{"name": "reader"}]), 201)
    assert [r["name"] for r in ac["application_credential"]["roles"]] == ["reader"]


def test_credential_authenticates_with_its_roles_on_its_project(api: Api) -> None:
    ident = ds.identity(api)
    uid, pid = ds.member_of_new_project(ident, "member")
    reader_id, _ = ds.role(ident, "reader")
    tok = ds.token(api, uid, pid)
    ac = ds.ok(_create(api, tok, uid, roles=[{"id": reader_id}]),
               201)["application_credential"]
    r = _ac_token(api, ac["id"], ac["secret"])
    token = ds.ok(r, 201)["token"]
    assert token["project"]["id"] == pid and token["user"]["id"] == uid
    assert [role["name"] for role in token["roles"]] == ["reader"]
    assert token["application_credential"] == {"id": ac["id"], "name": ac["name"],
                                               "restricted": True}
    # By name and user as well; a wrong secret is refused.
    by_name = {"auth": {"identity": {"methods": ["application_credential"],
                                     "application_credential": {
                                         "name": ac["name"], "user": {"id": uid},
                                         "secret": ac["secret"]}}}}
    assert ds.issue(api, by_name).status_code == 201
    assert _ac_token(api, ac["id"], "wrong").status_code == 401
    # Deleting it ends its tokens too.
    subject = r.headers["x-subject-token"]
    assert api.request("DELETE", f"/users/{uid}/application_credentials/{ac['id']}",
                       token=tok).status_code == 204
    assert ds.validate(api, subject).status_code == 404
    assert _ac_token(api, ac["id"], ac["secret"]).status_code == 401


def test_restricted_credentials_cannot_make_or_delete_credentials(api: Api) -> None:
    ident = ds.identity(api)
    uid, pid = ds.member_of_new_project(ident)
    tok = ds.token(api, uid, pid)
    restricted = ds.ok(_create(api, tok, uid), 201)["application_credential"]
    unrestricted = ds.ok(_create(api, tok, uid, unrestricted=True),
                         201)["application_credential"]
    r_tok = _ac_token(api, restricted["id"], restricted["secret"]).headers["x-subject-token"]
    u_tok = _ac_token(api, unrestricted["id"], unrestricted["secret"]
                      ).headers["x-subject-token"]
    assert _create(api, r_tok, uid).status_code == 403
    assert api.request("DELETE", f"/users/{uid}/application_credentials/{unrestricted['id']}",
                       token=r_tok).status_code == 403
    assert _create(api, u_tok, uid).status_code == 201


def test_expiry(api: Api) -> None:
    ident = ds.identity(api)
    uid, pid = ds.member_of_new_project(ident)
    tok = ds.token(api, uid, pid)
    past = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert _create(api, tok, uid, expires_at=past).status_code == 400
    assert _create(api, tok, uid, expires_at="not a date").status_code == 400
    when = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=1)
    ac = ds.ok(_create(api, tok, uid, expires_at=when.isoformat()),
               201)["application_credential"]
    assert ac["expires_at"] == when.strftime("%Y-%m-%dT%H:%M:%S.%f")
    assert _ac_token(api, ac["id"], ac["secret"]).status_code == 201
    with ident.write() as s:
        row = s.get(m.ApplicationCredential, ac["id"])
        assert row is not None
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    assert _ac_token(api, ac["id"], ac["secret"]).status_code == 401


def test_policy_on_other_users_credentials(api: Api) -> None:
    ident = ds.identity(api)
    alice, pid = ds.member_of_new_project(ident)
    bob, _ = ds.member_of_new_project(ident)
    alice_tok = ds.token(api, alice, pid)
    ac = ds.ok(_create(api, alice_tok, alice), 201)["application_credential"]
    bob_tok = ds.token(api, bob, None)
    assert _create(api, bob_tok, alice).status_code == 403
    assert api.request("GET", f"/users/{alice}/application_credentials",
                       token=bob_tok).status_code == 403
    # Not even the admin makes one for someone else; a mismatched path finds nothing.
    assert _create(api, api.token(), alice).status_code == 403
    assert api.request("GET", f"/users/{bob}/application_credentials/{ac['id']}",
                       token=bob_tok).status_code == 404


# --- access rules -----------------------------------------------------------------------


def test_access_rules(api: Api) -> None:
    ident = ds.identity(api)
    uid, pid = ds.member_of_new_project(ident)
    tok = ds.token(api, uid, pid)
    rule = {"service": "compute", "path": "/v2.1/servers/*/ips", "method": "GET"}
    ac = ds.ok(_create(api, tok, uid, access_rules=[rule]), 201)["application_credential"]
    [made] = ac["access_rules"]
    assert {k: made[k] for k in rule} == rule and made["id"]
    # The same rule again is the same rule.
    again = ds.ok(_create(api, tok, uid, access_rules=[rule]), 201)["application_credential"]
    assert again["access_rules"][0]["id"] == made["id"]
    assert _create(api, tok, uid, access_rules=[{**rule, "method": "FETCH"}]
                   ).status_code == 400
    assert _create(api, tok, uid, access_rules=[{**rule, "path": "no-slash"}]
                   ).status_code == 400

    token = ds.ok(_ac_token(api, ac["id"], ac["secret"]), 201)["token"]
    assert token["application_credential"]["access_rules"] == [{**rule, "id": made["id"]}]

    base = f"/users/{uid}/access_rules"
    listed = ds.ok(api.request("GET", base, token=tok), 200)["access_rules"]
    assert [r["id"] for r in listed] == [made["id"]]
    assert ds.ok(api.request("GET", base + "?service=image", token=tok),
                 200)["access_rules"] == []
    shown = ds.ok(api.request("GET", f"{base}/{made['id']}", token=tok), 200)["access_rule"]
    assert shown["links"]["self"].endswith(f"/v3{base}/{made['id']}")

    # In use, a rule stays; once its credentials are gone it can be deleted.
    assert api.request("DELETE", f"{base}/{made['id']}", token=tok).status_code == 403
    for a in (ac, again):
        api.request("DELETE", f"/users/{uid}/application_credentials/{a['id']}", token=tok)
    assert made["id"] in {r["id"] for r in
                          ds.ok(api.request("GET", base, token=tok), 200)["access_rules"]}
    assert api.request("DELETE", f"{base}/{made['id']}", token=tok).status_code == 204
    assert api.request("GET", f"{base}/{made['id']}", token=tok).status_code == 404
