"""Token issue, validation and revocation, through the real clients and raw HTTP."""

from __future__ import annotations

from tests.conftest import Api
from tests.support import Cloud


def test_openstack_token_issue(cloud: Cloud) -> None:
    token = cloud.openstack("token", "issue")
    assert token["project_id"] and token["user_id"] and token["id"].startswith("gAAAA")


def test_validate_returns_roles_and_catalog(api: Api) -> None:
    subject = api.token()
    r = api.request("GET", "/auth/tokens", headers={"X-Subject-Token": subject})
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    assert {"admin", "member", "reader"} <= {role["name"] for role in token["roles"]}
    assert any(s["type"] == "identity" for s in token["catalog"])
    assert r.headers["x-openstack-request-id"].startswith("req-")


def test_revoked_token_is_404_on_validate_and_401_on_use(api: Api) -> None:
    r = api.client.post("/identity/v3/auth/tokens", json={"auth": {"identity": {
        "methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": "admin-secret-password"}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})
    victim = r.headers["x-subject-token"]
    assert api.request("DELETE", "/auth/tokens", headers={"X-Subject-Token": victim}
                       ).status_code == 204
    assert api.request("GET", "/auth/tokens", headers={"X-Subject-Token": victim}
                       ).status_code == 404
    assert api.request("GET", "/projects", token=victim).status_code == 401


def test_wrong_password_and_unknown_user_look_the_same(api: Api) -> None:
    def attempt(name: str, password: str) -> tuple[int, str]:
        r = api.client.post("/identity/v3/auth/tokens", json={"auth": {"identity": {
            "methods": ["password"], "password": {"user": {
                "name": name, "domain": {"id": "default"}, "password": password}}}}})
        return r.status_code, r.json()["error"]["message"]

    assert attempt("admin", "wrong") == attempt("nobody", "wrong")
    assert attempt("admin", "wrong")[0] == 401


def test_malformed_json_is_400_and_huge_body_is_413(api: Api) -> None:
    r = api.client.post("/identity/v3/auth/tokens", content=b"{not json",
                        headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == 400
    r = api.client.post("/identity/v3/auth/tokens", content=b"x" * 200_000,
                        headers={"Content-Type": "application/json"})
    assert r.status_code == 413
