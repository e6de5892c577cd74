"""Helpers for the credential, application credential and trust tests.

Users, roles and grants are written straight to the database (through the identity
service layer) so that these tests exercise delegation alone, whatever state the users
and roles APIs are in; everything under test goes through HTTP or the real clients.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select

from runtime.common.config import load_config
from runtime.common.db import Database
from runtime.identity import models as m
from runtime.identity.service import Identity, assignments
from runtime.identity.service.users import set_password
from tests.conftest import Api
from tests.support import Cloud

PASSWORD = "delegation-test-password"


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def identity(api: Api) -> Identity:
    ident: Identity = api.client.app.state.runtime.state["identity"]  # type: ignore[attr-defined]
    return ident


@contextmanager
def cloud_identity(cloud: Cloud) -> Iterator[Identity]:
    """The served cloud's identity service, reached through its database."""
    config = load_config(cloud.config)
    db = Database(config.database_url)
    try:
        yield Identity(db, config)
    finally:
        db.dispose()


def user(ident: Identity, password: str | None = PASSWORD) -> str:
    with ident.write() as s:
        u = m.User(id=uuid.uuid4().hex, name=name("user"), domain_id="default", enabled=True,
                   extra={}, options={})
        if password:
            set_password(u, password, 4)
        s.add(u)
    return u.id


def project(ident: Identity) -> str:
    with ident.write() as s:
        p = m.Project(id=uuid.uuid4().hex, name=name("proj"), domain_id="default",
                      parent_id="default", enabled=True, is_domain=False, extra={}, options={})
        s.add(p)
    return p.id


def role(ident: Identity, role_name: str | None = None) -> tuple[str, str]:
    """(id, name) of the global role ``role_name``, made when it does not exist."""
    role_name = role_name or name("role")
    with ident.write() as s:
        r = s.scalar(select(m.Role).where(m.Role.name == role_name,
                                          m.Role.domain_id.is_(None)))
        if r is None:
            r = m.Role(id=uuid.uuid4().hex, name=role_name, extra={}, options={})
            s.add(r)
    return r.id, r.name


def grant(ident: Identity, user_id: str, project_id: str, role_name: str) -> str:
    role_id, _ = role(ident, role_name)
    with ident.write() as s:
        assignments.grant(s, assignments.USER_PROJECT, user_id, project_id, role_id)
    return role_id


def revoke(ident: Identity, user_id: str, project_id: str, role_name: str) -> None:
    role_id, _ = role(ident, role_name)
    with ident.write() as s:
        assignments.revoke(s, assignments.USER_PROJECT, user_id, project_id, role_id)


def member_of_new_project(ident: Identity, *roles: str) -> tuple[str, str]:
    """(user_id, project_id): a new user with ``roles`` (default member) on a new project."""
    uid, pid = user(ident), project(ident)
    for r in roles or ("member",):
        grant(ident, uid, pid, r)
    return uid, pid


def password_auth(user_id: str, password: str = PASSWORD,
                  scope: dict[str, Any] | None = None) -> dict[str, Any]:
    auth: dict[str, Any] = {"identity": {"methods": ["password"], "password": {
        "user": {"id": user_id, "password": password}}}}
    if scope is not None:
        auth["scope"] = scope
    return {"auth": auth}


def issue(api: Api, body: dict[str, Any]) -> Any:
    return api.client.post("/identity/v3/auth/tokens", json=body)


def token(api: Api, user_id: str, project_id: str | None = None, **scope: Any) -> str:
    """A token of ``user_id`` (password auth) on ``project_id`` or on ``scope``."""
    if project_id is not None:
        scope = {"project": {"id": project_id}}
    r = issue(api, password_auth(user_id, scope=scope or None))
    assert r.status_code == 201, r.text
    return str(r.headers["x-subject-token"])


def ok(r: Any, status: int) -> Any:
    assert r.status_code == status, r.text
    return r.json() if r.content else None


def validate(api: Api, subject: str) -> Any:
    return api.request("GET", "/auth/tokens", headers={"X-Subject-Token": subject})
