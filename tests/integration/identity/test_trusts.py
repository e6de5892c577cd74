"""OS-TRUST: trusts, their roles, and trust-scoped tokens."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from tests.conftest import Api
from tests.integration.identity import delegation_support as ds
from tests.support import Cloud


def _trust(api: Api, token: str, **body: Any) -> Any:
    body.setdefault("impersonation", False)
    return api.request("POST", "/OS-TRUST/trusts", token=token, json={"trust": body})


class Parties:
    """A trustor with member (and so reader) on a project, a trustee with no role there."""

    def __init__(self, api: Api, *extra_roles: str) -> None:
        ident = ds.identity(api)
        self.trustor, self.project = ds.member_of_new_project(ident, "member", *extra_roles)
        self.trustee = ds.user(ident)
        self.trustor_token = ds.token(api, self.trustor, self.project)
        self.trustee_token = ds.token(api, self.trustee)

    def trust(self, api: Api, roles: list[dict[str, str]] | None = None, **body: Any
              ) -> dict[str, Any]:
        r = _trust(api, self.trustor_token, trustor_user_id=self.trustor,
                   trustee_user_id=self.trustee, project_id=self.project,
                   roles=roles or [{"name": "member"}], **body)
        return ds.ok(r, 201)["trust"]  # type: ignore[no-any-return]

    def trust_token(self, api: Api, trust_id: str) -> Any:
        return ds.issue(api, ds.password_auth(
            self.trustee, scope={"OS-TRUST:trust": {"id": trust_id}}))


# --- with the real clients --------------------------------------------------------------


def test_sdk_trust_and_keystoneauth_trust_scoped_session(cloud: Cloud) -> None:
    with ds.cloud_identity(cloud) as ident:
        trustor, project = ds.member_of_new_project(ident, "member")
        trustee = ds.user(ident)
    trustor_conn = cloud.sdk(user_id=trustor, password=ds.PASSWORD, project_id=project)
    trust = trustor_conn.identity.create_trust(
        trustor_user_id=trustor, trustee_user_id=trustee, project_id=project,
        roles=[{"name": "member"}], impersonation=True)
    assert trust.is_impersonation is True and trust.project_id == project
    assert [r["name"] for r in trust.roles] == ["member"]

    # The trustee logs in with the trust through keystoneauth, as Heat or Magnum would.
    auth = v3.Password(auth_url=cloud.auth_url, user_id=trustee, password=ds.PASSWORD,
                       trust_id=trust.id)
    access = auth.get_access(ks_session.Session())
    assert access.trust_scoped and access.trust_id == trust.id
    assert access.project_id == project and access.user_id == trustor  # impersonation
    assert access.trustee_user_id == trustee and access.trustor_user_id == trustor
    assert set(access.role_names) == {"member", "reader"}

    shown = cloud.openstack("trust", "show", trust.id)
    assert shown["trustee_user_id"] == trustee and shown["is_impersonation"] is True
    assert trust.id in {row["ID"] for row in cloud.openstack("trust", "list")}
    cloud.openstack("trust", "delete", trust.id)
    assert trust.id not in {row["ID"] for row in cloud.openstack("trust", "list")}

    # The admin delegates their own member role on the admin project with the CLI.
    made = cloud.openstack("trust", "create", "--project", "admin", "--role", "member",
                           "--impersonate", "admin", trustee)
    assert made["trustee_user_id"] == trustee and made["is_impersonation"] is True
    assert "member" in str(made["roles"])
    cloud.openstack("trust", "delete", made["id"])


# --- trusts ---------------------------------------------------------------------------------


def test_create_show_and_roles(api: Api) -> None:
    p = Parties(api)
    expires = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    trust = p.trust(api, impersonation=True, expires_at=expires)
    assert trust["trustor_user_id"] == p.trustor and trust["trustee_user_id"] == p.trustee
    assert trust["project_id"] == p.project and trust["impersonation"] is True
    assert re.sub(r"\.([0-9]){6}", "", trust["expires_at"]) == expires
    assert trust["remaining_uses"] is None and trust["redelegation_count"] == 0
    assert "v3/OS-TRUST/trusts" in trust["links"]["self"]
    [role] = trust["roles"]
    assert role["name"] == "member" and f"v3/roles/{role['id']}" in role["links"]["self"]

    for token in (p.trustor_token, p.trustee_token):
        shown = ds.ok(api.request("GET", f"/OS-TRUST/trusts/{trust['id']}", token=token),
                      200)["trust"]
        assert shown["id"] == trust["id"] and shown["roles"][0]["id"] == role["id"]
    base = f"/OS-TRUST/trusts/{trust['id']}/roles"
    roles = ds.ok(api.request("GET", base, token=p.trustor_token), 200)["roles"]
    assert [r["id"] for r in roles] == [role["id"]]
    assert ds.ok(api.request("GET", f"{base}/{role['id']}", token=p.trustor_token),
                 200)["role"]["name"] == "member"
    assert api.request("HEAD", f"{base}/{role['id']}", token=p.trustor_token
                       ).status_code == 200
    reader_id, _ = ds.role(ds.identity(api), "reader")
    assert api.request("GET", f"{base}/{reader_id}", token=p.trustor_token).status_code == 404
    assert api.request("HEAD", f"{base}/{reader_id}", token=p.trustor_token
                       ).status_code == 404

    # Strangers see nothing; the trustee may not delete it; the trustor may.
    stranger = ds.token(api, ds.user(ds.identity(api)))
    assert api.request("GET", f"/OS-TRUST/trusts/{trust['id']}", token=stranger
                       ).status_code == 403
    assert api.request("DELETE", f"/OS-TRUST/trusts/{trust['id']}", token=p.trustee_token
                       ).status_code == 403
    assert api.request("DELETE", f"/OS-TRUST/trusts/{trust['id']}", token=p.trustor_token
                       ).status_code == 204
    assert api.request("GET", f"/OS-TRUST/trusts/{trust['id']}", token=p.trustor_token
                       ).status_code == 404


def test_create_is_validated(api: Api) -> None:
    p = Parties(api)
    base = {"trustor_user_id": p.trustor, "trustee_user_id": p.trustee,
            "project_id": p.project, "roles": [{"name": "member"}]}

    def status(**changes: Any) -> int:
        body = {**base, "impersonation": False, **changes}
        body = {k: v for k, v in body.items() if v is not None}
        r = api.request("POST", "/OS-TRUST/trusts", token=p.trustor_token,
                        json={"trust": body})
        return int(r.status_code)

    r = api.request("POST", "/OS-TRUST/trusts", token=p.trustor_token, json={"trust": base})
    assert r.status_code == 400  # impersonation is required
    assert status(expires_at="bad.123Z") == 400
    assert status(expires_at="2001-01-01T00:00:00Z") == 400
    assert status(remaining_uses=0) == 400
    assert status(trustor_user_id=p.trustee) == 403  # only for oneself
    assert status(roles=[]) == 403  # a project needs at least one role
    assert status(roles=[{"name": "admin"}]) == 404  # not the trustor's to give
    assert status(roles=[{"name": "no-such-role"}]) == 404
    assert status(trustee_user_id="no-such-user") == 404
    assert status(project_id="no-such-project") == 404
    assert status(allow_redelegation=True, redelegation_count=4) == 403
    assert status(allow_redelegation=True, remaining_uses=2) == 400
    assert status(roles=[{"id": ds.role(ds.identity(api), "member")[0]}]) == 201


def test_listing(api: Api) -> None:
    p = Parties(api)
    trust = p.trust(api)
    by_trustor = ds.ok(api.request("GET", f"/OS-TRUST/trusts?trustor_user_id={p.trustor}",
                                   token=p.trustor_token), 200)["trusts"]
    assert [t["id"] for t in by_trustor] == [trust["id"]]
    assert "roles" not in by_trustor[0]
    by_trustee = ds.ok(api.request("GET", f"/OS-TRUST/trusts/?trustee_user_id={p.trustee}",
                                   token=p.trustee_token), 200)["trusts"]
    assert [t["id"] for t in by_trustee] == [trust["id"]]
    # Only the admin lists everyone's; others list only their own.
    assert trust["id"] in {t["id"] for t in
                           ds.ok(api.request("GET", "/OS-TRUST/trusts/"), 200)["trusts"]}
    assert api.request("GET", "/OS-TRUST/trusts", token=p.trustor_token).status_code == 403
    assert api.request("GET", f"/OS-TRUST/trusts?trustor_user_id={p.trustor}",
                       token=p.trustee_token).status_code == 403


# --- trust-scoped tokens --------------------------------------------------------------------


def test_trust_token_is_the_trustees_without_impersonation(api: Api) -> None:
    p = Parties(api)
    trust = p.trust(api)
    token = ds.ok(p.trust_token(api, trust["id"]), 201)["token"]
    assert token["user"]["id"] == p.trustee
    assert token["project"]["id"] == p.project
    assert {r["name"] for r in token["roles"]} == {"member", "reader"}
    assert token["OS-TRUST:trust"] == {
        "id": trust["id"], "impersonation": False,
        "trustee_user": {"id": p.trustee}, "trustor_user": {"id": p.trustor}}
    assert any(s["type"] == "identity" for s in token["catalog"])


def test_trust_token_is_the_trustors_with_impersonation(api: Api) -> None:
    p = Parties(api, "admin")
    trust = p.trust(api, roles=[{"name": "reader"}], impersonation=True)
    r = p.trust_token(api, trust["id"])
    token = ds.ok(r, 201)["token"]
    assert token["user"]["id"] == p.trustor
    # Only what was delegated: not the trustor's admin nor member.
    assert [role["name"] for role in token["roles"]] == ["reader"]
    assert token["OS-TRUST:trust"]["impersonation"] is True
    subject = r.headers["x-subject-token"]
    # Trust tokens are not rescoped into ordinary ones.
    rescope = ds.issue(api, {"auth": {"identity": {"methods": ["token"],
                                                   "token": {"id": subject}},
                                      "scope": {"project": {"id": p.project}}}})
    assert rescope.status_code == 403


def test_only_the_trustee_uses_a_trust(api: Api) -> None:
    p = Parties(api)
    trust = p.trust(api)
    as_trustor = ds.issue(api, ds.password_auth(
        p.trustor, scope={"OS-TRUST:trust": {"id": trust["id"]}}))
    assert as_trustor.status_code == 403
    missing = p.trust_token(api, "no-such-trust")
    assert missing.status_code == 404


def test_remaining_uses_run_out(api: Api) -> None:
    p = Parties(api)
    trust = p.trust(api, remaining_uses=2)
    first = p.trust_token(api, trust["id"])
    assert first.status_code == 201 and p.trust_token(api, trust["id"]).status_code == 201
    assert p.trust_token(api, trust["id"]).status_code == 404
    # The tokens it did give remain valid.
    assert ds.validate(api, first.headers["x-subject-token"]).status_code == 200


def test_expiry_caps_the_token(api: Api) -> None:
    p = Parties(api)
    expires = datetime.now(UTC) + timedelta(minutes=5)
    trust = p.trust(api, expires_at=expires.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    token = ds.ok(p.trust_token(api, trust["id"]), 201)["token"]
    token_expiry = datetime.strptime(token["expires_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert token_expiry.replace(tzinfo=UTC) <= expires


def test_deleting_the_trust_revokes_its_tokens(api: Api) -> None:
    p = Parties(api)
    trust = p.trust(api)
    subject = p.trust_token(api, trust["id"]).headers["x-subject-token"]
    assert api.request("GET", "/auth/projects", token=subject).status_code == 200
    assert api.request("DELETE", f"/OS-TRUST/trusts/{trust['id']}", token=p.trustor_token
                       ).status_code == 204
    assert ds.validate(api, subject).status_code == 404
    assert api.request("GET", "/auth/projects", token=subject).status_code == 401
    assert p.trust_token(api, trust["id"]).status_code == 404


def test_trustor_losing_the_role_ends_the_trust_tokens(api: Api) -> None:
    p = Parties(api)
    trust = p.trust(api)
    subject = p.trust_token(api, trust["id"]).headers["x-subject-token"]
    ds.revoke(ds.identity(api), p.trustor, p.project, "member")
    assert ds.validate(api, subject).status_code == 404
    assert p.trust_token(api, trust["id"]).status_code == 403


def test_redelegation(api: Api) -> None:
    p = Parties(api)
    third = ds.user(ds.identity(api))
    trust = p.trust(api, allow_redelegation=True)
    assert trust["redelegation_count"] == 3
    trust_token = p.trust_token(api, trust["id"]).headers["x-subject-token"]

    def redelegate(**body: Any) -> Any:
        return _trust(api, trust_token, trustor_user_id=p.trustee, trustee_user_id=third,
                      project_id=p.project, **body)

    assert redelegate(roles=[{"name": "admin"}]).status_code == 404
    assert redelegate(roles=[{"name": "member"}], impersonation=True).status_code == 403
    child = ds.ok(redelegate(roles=[{"name": "member"}], allow_redelegation=True),
                  201)["trust"]
    assert child["redelegated_trust_id"] == trust["id"] and child["redelegation_count"] == 2
    third_token = ds.issue(api, ds.password_auth(
        third, scope={"OS-TRUST:trust": {"id": child["id"]}}))
    assert ds.ok(third_token, 201)["token"]["project"]["id"] == p.project
    # Deleting the original takes the redelegated trust with it.
    api.request("DELETE", f"/OS-TRUST/trusts/{trust['id']}", token=p.trustor_token)
    assert api.request("GET", f"/OS-TRUST/trusts/{child['id']}").status_code == 404


def test_restricted_app_cred_tokens_cannot_manage_trusts(api: Api) -> None:
    p = Parties(api)
    ac = ds.ok(api.request("POST", f"/users/{p.trustor}/application_credentials",
                           token=p.trustor_token,
                           json={"application_credential": {"name": ds.name("ac")}}),
               201)["application_credential"]
    ac_token = ds.issue(api, {"auth": {"identity": {
        "methods": ["application_credential"],
        "application_credential": {"id": ac["id"], "secret": ac["secret"]}}}}
    ).headers["x-subject-token"]
    r = _trust(api, ac_token, trustor_user_id=p.trustor, trustee_user_id=p.trustee,
               project_id=p.project, roles=[{"name": "member"}])
    assert r.status_code == 403
