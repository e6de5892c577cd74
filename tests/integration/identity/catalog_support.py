"""Helpers for the catalog and extension tests: callers with other roles and scopes.

The non-admin user is written straight to the app's database so that these tests do
not depend on the users API.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from runtime.identity import models as m
from runtime.identity.service import Identity, assignments
from runtime.identity.service.users import set_password
from tests.conftest import Api
from tests.support import ADMIN_PASSWORD

MEMBER_PASSWORD = "catalog-member-password"


def identity(api: Api) -> Identity:
    ident: Identity = api.client.app.state.runtime.state["identity"]  # type: ignore[attr-defined]
    return ident


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def ok(r: Any, status: int) -> Any:
    assert r.status_code == status, r.text
    return r.json() if r.content else None


def password_auth(username: str, password: str, scope: dict[str, Any] | None) -> dict[str, Any]:
    auth: dict[str, Any] = {"identity": {"methods": ["password"], "password": {"user": {
        "name": username, "domain": {"id": "default"}, "password": password}}}}
    if scope is not None:
        auth["scope"] = scope
    return {"auth": auth}


def token(api: Api, body: dict[str, Any]) -> str:
    r = api.client.post("/identity/v3/auth/tokens", json=body)
    assert r.status_code == 201, r.text
    return str(r.headers["x-subject-token"])


def system_token(api: Api) -> str:
    """The bootstrap admin, scoped to the system (it holds admin on it)."""
    return token(api, password_auth("admin", ADMIN_PASSWORD, {"system": {"all": True}}))


def member_token(api: Api) -> str:
    """A user holding only the member role on the admin project."""
    ident = identity(api)
    username = name("member")
    with ident.write() as s:
        project = s.scalar(select(m.Project).where(m.Project.name == "admin"))
        role = s.scalar(select(m.Role).where(m.Role.name == "member"))
        assert project is not None and role is not None
        user = m.User(id=uuid.uuid4().hex, name=username, domain_id="default", enabled=True,
                      extra={}, options={})
        set_password(user, MEMBER_PASSWORD, 4)
        s.add(user)
        s.flush()
        assignments.grant(s, assignments.USER_PROJECT, user.id, project.id, role.id)
    return token(api, password_auth(username, MEMBER_PASSWORD, {
        "project": {"name": "admin", "domain": {"id": "default"}}}))
