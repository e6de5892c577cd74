"""Helpers for the user, group and project tests: everything goes through the API."""

from __future__ import annotations

import json
import subprocess
import uuid
from typing import Any

from tests.conftest import Api
from tests.support import BIN, Cloud

PASSWORD = "users-test-password"


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create(api: Api, kind: str, token: str | None = None, **fields: Any) -> dict[str, Any]:
    """POST /v3/<kind>s with ``fields`` (a unique name unless given); the new entity."""
    fields.setdefault("name", uniq(kind))
    r = api.request("POST", f"/{kind}s", token=token, json={kind: fields})
    assert r.status_code == 201, r.text
    entity: dict[str, Any] = r.json()[kind]
    return entity


def role_id(api: Api, name: str = "member") -> str:
    r = api.request("GET", "/roles", params={"name": name})
    assert r.status_code == 200, r.text
    return str(r.json()["roles"][0]["id"])


def grant(api: Api, project_id: str, actor_id: str, actor: str = "users",
          role: str = "member") -> None:
    r = api.request("PUT", f"/projects/{project_id}/{actor}/{actor_id}/roles/{role_id(api, role)}")
    assert r.status_code == 204, r.text


def login(api: Api, user_id: str, password: str, project_id: str | None = None) -> Any:
    """POST /v3/auth/tokens for the user (by id); the raw response."""
    auth: dict[str, Any] = {"identity": {"methods": ["password"], "password": {
        "user": {"id": user_id, "password": password}}}}
    if project_id:
        auth["scope"] = {"project": {"id": project_id}}
    return api.client.post("/identity/v3/auth/tokens", json={"auth": auth})


def token_for(api: Api, user_id: str, password: str, project_id: str | None = None) -> str:
    r = login(api, user_id, password, project_id)
    assert r.status_code == 201, r.text
    return str(r.headers["x-subject-token"])


def member_user(api: Api, password: str = PASSWORD) -> tuple[dict[str, Any], str, str]:
    """A non-admin user with the member role on a new project: (user, project id, token)."""
    project = create(api, "project")
    user = create(api, "user", password=password)
    grant(api, project["id"], user["id"])
    return user, project["id"], token_for(api, user["id"], password, project["id"])


def openstack_as(cloud: Cloud, username: str, password: str, project: str | None,
                 *args: str) -> Any:
    """The real `openstack` CLI authenticated as another user of the cloud."""
    env = {k: v for k, v in cloud.env.items() if k != "OS_CLOUD"}
    env.update(OS_AUTH_URL=cloud.auth_url, OS_USERNAME=username, OS_PASSWORD=password,
               OS_USER_DOMAIN_NAME="Default", OS_IDENTITY_API_VERSION="3",
               OS_REGION_NAME="RegionOne", OS_INTERFACE="public")
    if project:
        env.update(OS_PROJECT_NAME=project, OS_PROJECT_DOMAIN_NAME="Default")
    proc = subprocess.run([str(BIN / "openstack"), *args], env=env, capture_output=True,
                          text=True, timeout=120)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed: {proc.stderr}")
    out = proc.stdout.strip()
    return json.loads(out) if out.startswith(("{", "[")) else out
