"""Credentials, OS-EC2 credentials and /v3/ec2tokens."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
import uuid
from typing import Any

from keystoneclient.contrib.ec2.utils import Ec2Signer

from runtime.identity.service.credentials import key_repository, rotate_keys
from tests.conftest import Api
from tests.integration.identity import delegation_support as ds
from tests.support import Cloud


def _blob(access: str | None = None) -> str:
    return json.dumps({"access": access or uuid.uuid4().hex, "secret": uuid.uuid4().hex})


def _create(api: Api, token: str | None = None, **cred: Any) -> Any:
    return api.request("POST", "/credentials", token=token, json={"credential": cred})


# --- with the real clients --------------------------------------------------------------


def test_openstack_credential_lifecycle_keeps_blob_encrypted(cloud: Cloud) -> None:
    with ds.cloud_identity(cloud) as ident:
        uid, pid = ds.member_of_new_project(ident)
    secret = "s3cr3t-" + uuid.uuid4().hex
    blob = json.dumps({"access": "ak-" + uuid.uuid4().hex, "secret": secret})
    cred = cloud.openstack("credential", "create", uid, blob, "--type", "ec2",
                           "--project", pid)
    assert cred["type"] == "ec2" and cred["project_id"] == pid and cred["user_id"] == uid
    assert json.loads(cred["blob"])["secret"] == secret
    assert cred["id"] == hashlib.sha256(json.loads(blob)["access"].encode()).hexdigest()

    listed = cloud.openstack("credential", "list", "--type", "ec2", "--user", uid)
    assert [c["ID"] for c in listed] == [cred["id"]]
    shown = cloud.openstack("credential", "show", cred["id"])
    assert json.loads(shown["blob"])["secret"] == secret

    # At rest the secret is nowhere in the database file.
    raw = sqlite3.connect(cloud.state / "haneul.db").execute(
        "SELECT encrypted_blob FROM identity_credential WHERE id = ?", (cred["id"],)).fetchone()
    assert raw is not None and secret not in raw[0]
    assert secret.encode() not in (cloud.state / "haneul.db").read_bytes()

    cloud.openstack("credential", "delete", cred["id"])
    assert cloud.openstack("credential", "list", "--user", uid) == []


# --- /v3/credentials ----------------------------------------------------------------------


def test_ec2_credential_id_is_hash_of_access_and_requires_project(api: Api) -> None:
    ident = ds.identity(api)
    uid, pid = ds.member_of_new_project(ident)
    access = uuid.uuid4().hex
    cred = ds.ok(_create(api, user_id=uid, project_id=pid, type="ec2", blob=_blob(access)),
                 201)["credential"]
    assert cred["id"] == hashlib.sha256(access.encode()).hexdigest()
    assert cred["links"]["self"].endswith(f"/v3/credentials/{cred['id']}")
    # The same access key twice is a conflict; an ec2 credential needs a project and an
    # access key in a JSON blob.
    assert _create(api, user_id=uid, project_id=pid, type="ec2",
                   blob=_blob(access)).status_code == 409
    assert _create(api, user_id=uid, type="ec2", blob=_blob()).status_code == 400
    assert _create(api, user_id=uid, project_id=pid, type="ec2",
                   blob="not json").status_code == 400
    assert _create(api, user_id=uid, project_id=pid, type="ec2",
                   blob=json.dumps({"secret": "x"})).status_code == 400
    assert _create(api, user_id=uid, type="cert").status_code == 400


def test_update_keeps_id_and_changes_blob_and_project(api: Api) -> None:
    ident = ds.identity(api)
    uid, pid = ds.member_of_new_project(ident)
    other = ds.project(ident)
    cred = ds.ok(_create(api, user_id=uid, project_id=pid, type="ec2", blob=_blob()),
                 201)["credential"]
    new_blob = _blob()
    r = api.request("PATCH", f"/credentials/{cred['id']}", json={"credential": {
        "blob": new_blob, "project_id": other, "type": "ec2"}})
    updated = ds.ok(r, 200)["credential"]
    assert updated["id"] == cred["id"] and updated["project_id"] == other
    shown = ds.ok(api.request("GET", f"/credentials/{cred['id']}"), 200)["credential"]
    assert json.loads(shown["blob"]) == json.loads(new_blob)
    assert api.request("PATCH", f"/credentials/{cred['id']}",
                       json={"credential": {}}).status_code == 400
    assert api.request("GET", "/credentials/nope").status_code == 404


def test_users_see_and_manage_only_their_own_credentials(api: Api) -> None:
    ident = ds.identity(api)
    alice, pid = ds.member_of_new_project(ident)
    bob = ds.user(ident)
    ds.grant(ident, bob, pid, "member")
    alice_token, bob_token = ds.token(api, alice, pid), ds.token(api, bob, pid)
    mine = ds.ok(_create(api, alice_token, user_id=alice, type="cert", blob="alice-cert"),
                 201)["credential"]
    theirs = ds.ok(_create(api, bob_token, user_id=bob, type="totp", blob="bob-seed"),
                   201)["credential"]
    # Nobody makes credentials for someone else, nor reads, changes or deletes theirs.
    assert _create(api, alice_token, user_id=bob, type="cert", blob="x").status_code == 403
    assert api.request("GET", f"/credentials/{theirs['id']}", token=alice_token
                       ).status_code == 403
    assert api.request("PATCH", f"/credentials/{mine['id']}", token=alice_token,
                       json={"credential": {"user_id": bob}}).status_code == 403
    assert api.request("DELETE", f"/credentials/{theirs['id']}", token=alice_token
                       ).status_code == 403

    listed = ds.ok(api.request("GET", "/credentials", token=alice_token), 200)["credentials"]
    assert [c["id"] for c in listed] == [mine["id"]]
    assert ds.ok(api.request("GET", f"/credentials?user_id={bob}", token=alice_token),
                 200)["credentials"] == []
    # The admin sees both, and filters by user and type.
    admin_view = ds.ok(api.request("GET", f"/credentials?user_id={bob}"), 200)["credentials"]
    assert [c["id"] for c in admin_view] == [theirs["id"]]
    by_type = ds.ok(api.request("GET", "/credentials?type=totp"), 200)["credentials"]
    assert theirs["id"] in {c["id"] for c in by_type}
    assert mine["id"] not in {c["id"] for c in by_type}

    assert api.request("DELETE", f"/credentials/{mine['id']}", token=alice_token
                       ).status_code == 204
    assert api.request("GET", f"/credentials/{mine['id']}").status_code == 404


def test_blobs_survive_a_credential_key_rotation(api: Api) -> None:
    ident = ds.identity(api)
    uid = ds.user(ident)
    cred = ds.ok(_create(api, user_id=uid, type="cert", blob="before-rotation"),
                 201)["credential"]
    key_repository(ident).rotate()
    shown = ds.ok(api.request("GET", f"/credentials/{cred['id']}"), 200)["credential"]
    assert shown["blob"] == "before-rotation"


def test_credential_rotate_reencrypts_so_old_keys_can_go(api: Api) -> None:
    ident = ds.identity(api)
    uid = ds.user(ident)
    cred = ds.ok(_create(api, user_id=uid, type="cert", blob="survives-rotations"),
                 201)["credential"]
    # With three active keys, three rotations drop every key that existed at creation.
    for _ in range(3):
        _, count = rotate_keys(ident)
        assert count >= 1
    shown = ds.ok(api.request("GET", f"/credentials/{cred['id']}"), 200)["credential"]
    assert shown["blob"] == "survives-rotations"


# --- OS-EC2 -------------------------------------------------------------------------------


def _ec2(api: Api, token: str, user_id: str, project_id: str) -> Any:
    return api.request("POST", f"/users/{user_id}/credentials/OS-EC2", token=token,
                       json={"tenant_id": project_id})


def test_os_ec2_lifecycle_for_the_owner(api: Api) -> None:
    ident = ds.identity(api)
    uid, pid = ds.member_of_new_project(ident)
    tok = ds.token(api, uid, pid)
    created = ds.ok(_ec2(api, tok, uid, pid), 201)["credential"]
    assert created["user_id"] == uid and created["tenant_id"] == pid
    assert created["access"] and created["secret"] and created["trust_id"] is None
    path = f"/users/{uid}/credentials/OS-EC2/{created['access']}"
    assert created["links"]["self"].endswith("/v3" + path)

    listed = ds.ok(api.request("GET", f"/users/{uid}/credentials/OS-EC2", token=tok),
                   200)["credentials"]
    assert [c["access"] for c in listed] == [created["access"]]
    shown = ds.ok(api.request("GET", path, token=tok), 200)["credential"]
    assert {k: shown[k] for k in ("access", "secret", "user_id", "tenant_id")} == {
        k: created[k] for k in ("access", "secret", "user_id", "tenant_id")}
    # The same credential is a v3 credential of type ec2.
    v3 = ds.ok(api.request("GET", "/credentials?type=ec2", token=tok), 200)["credentials"]
    assert json.loads(v3[0]["blob"])["secret"] == created["secret"]

    assert api.request("DELETE", path, token=tok).status_code == 204
    assert api.request("GET", path, token=tok).status_code == 404


def test_os_ec2_refuses_other_users_and_unknown_projects(api: Api) -> None:
    ident = ds.identity(api)
    alice, pid = ds.member_of_new_project(ident)
    bob, _ = ds.member_of_new_project(ident)
    alice_token = ds.token(api, alice, pid)
    assert _ec2(api, alice_token, bob, pid).status_code == 403
    assert api.request("GET", f"/users/{bob}/credentials/OS-EC2", token=alice_token
                       ).status_code == 403
    assert _ec2(api, alice_token, alice, "no-such-project").status_code == 404
    created = ds.ok(_ec2(api, ds.token(api, bob, None), bob, pid), 201)["credential"]
    assert api.request("GET", f"/users/{alice}/credentials/OS-EC2/{created['access']}",
                       token=alice_token).status_code == 403


# --- /v3/ec2tokens ------------------------------------------------------------------------


def _v2_request(access: str, secret: str) -> dict[str, Any]:
    params = {"SignatureVersion": "2", "AWSAccessKeyId": access, "Action": "DescribeRegions",
              "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    creds = {"access": access, "host": "ec2.example.com:8773", "verb": "GET",
             "path": "/services/Cloud", "params": params, "headers": {}, "body_hash": ""}
    creds["signature"] = Ec2Signer(secret).generate(json.loads(json.dumps(creds)))
    return creds


def _v4_request(access: str, secret: str) -> dict[str, Any]:
    amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    scope = f"{amz_date[:8]}/RegionOne/ec2/aws4_request"
    headers = {"Host": "ec2.example.com", "X-Amz-Date": amz_date,
               "Authorization": f"AWS4-HMAC-SHA256 Credential={access}/{scope}, "
                                "SignedHeaders=host;x-amz-date, Signature=placeholder"}
    creds = {"access": access, "host": "ec2.example.com", "verb": "GET", "path": "/",
             "params": {"Action": "DescribeRegions"}, "headers": headers,
             "body_hash": hashlib.sha256(b"").hexdigest()}
    creds["signature"] = Ec2Signer(secret).generate(json.loads(json.dumps(creds)))
    return creds


def test_ec2tokens_issues_a_project_token_for_v2_and_v4_signatures(api: Api) -> None:
    ident = ds.identity(api)
    uid, pid = ds.member_of_new_project(ident)
    ec2 = ds.ok(_ec2(api, ds.token(api, uid, pid), uid, pid), 201)["credential"]
    for creds in (_v2_request(ec2["access"], ec2["secret"]),
                  _v4_request(ec2["access"], ec2["secret"])):
        r = api.client.post("/identity/v3/ec2tokens", json={"credentials": creds})
        token = ds.ok(r, 200)["token"]
        assert token["user"]["id"] == uid and token["project"]["id"] == pid
        assert token["methods"] == ["ec2credential"]
        assert "member" in {role["name"] for role in token["roles"]}
        subject = r.headers["x-subject-token"]
        assert ds.validate(api, subject).status_code == 200


def test_ec2tokens_refuses_bad_signatures_and_unknown_keys(api: Api) -> None:
    ident = ds.identity(api)
    uid, pid = ds.member_of_new_project(ident)
    ec2 = ds.ok(_ec2(api, ds.token(api, uid, pid), uid, pid), 201)["credential"]

    def post(creds: dict[str, Any]) -> int:
        return int(api.client.post("/identity/v3/ec2tokens",
                                   json={"credentials": creds}).status_code)

    assert post(_v2_request(ec2["access"], "wrong-secret")) == 401
    assert post(_v4_request(ec2["access"], "wrong-secret")) == 401
    unsigned = _v2_request(ec2["access"], ec2["secret"])
    del unsigned["signature"]
    assert post(unsigned) == 401
    assert post(_v2_request("unknown-access", ec2["secret"])) == 404
    # A user who lost every role on the project gets no token.
    ds.revoke(ident, uid, pid, "member")
    assert post(_v2_request(ec2["access"], ec2["secret"])) == 401


def test_ec2_credential_made_with_a_trust_token_yields_trust_tokens(api: Api) -> None:
    ident = ds.identity(api)
    trustor, pid = ds.member_of_new_project(ident)
    trustee = ds.user(ident)
    trust = ds.ok(api.request("POST", "/OS-TRUST/trusts", token=ds.token(api, trustor, pid),
                              json={"trust": {"trustor_user_id": trustor,
                                              "trustee_user_id": trustee, "project_id": pid,
                                              "impersonation": True,
                                              "roles": [{"name": "reader"}]}}),
                  201)["trust"]
    trust_token = ds.token(api, trustee, **{"OS-TRUST:trust": {"id": trust["id"]}})
    ec2 = ds.ok(_ec2(api, trust_token, trustor, pid), 201)["credential"]
    assert ec2["trust_id"] == trust["id"]
    r = api.client.post("/identity/v3/ec2tokens",
                        json={"credentials": _v2_request(ec2["access"], ec2["secret"])})
    token = ds.ok(r, 200)["token"]
    assert token["OS-TRUST:trust"]["id"] == trust["id"] and token["user"]["id"] == trustor
    assert [role["name"] for role in token["roles"]] == ["reader"]
    # Once the trust is gone, so is what the credential can do.
    api.request("DELETE", f"/OS-TRUST/trusts/{trust['id']}", token=ds.token(api, trustor, pid))
    assert api.client.post("/identity/v3/ec2tokens", json={
        "credentials": _v2_request(ec2["access"], ec2["secret"])}).status_code == 401
