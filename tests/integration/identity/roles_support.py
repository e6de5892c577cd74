"""Helpers for the role and assignment tests.

Users, groups and memberships are written straight to the app's database so that these
tests exercise roles and grants alone, whatever state the users API is in; projects,
domains, roles and grants go through the API like any client's.
"""

from __future__ import annotations

import uuid
from typing import Any

from runtime.identity import models as m
from runtime.identity.service import Identity
from runtime.identity.service.users import set_password
from tests.conftest import Api

PASSWORD = "role-test-password"


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def identity(api: Api) -> Identity:
    ident: Identity = api.client.app.state.runtime.state["identity"]  # type: ignore[attr-defined]
    return ident


def user(api: Api, domain_id: str = "default", password: str | None = PASSWORD) -> str:
    ident = identity(api)
    with ident.write() as s:
        u = m.User(id=uuid.uuid4().hex, name=name("user"), domain_id=domain_id, enabled=True,
                   extra={}, options={})
        if password:
            set_password(u, password, 4)
        s.add(u)
    return u.id


def group(api: Api, domain_id: str = "default", members: tuple[str, ...] = ()) -> str:
    ident = identity(api)
    with ident.write() as s:
        g = m.Group(id=uuid.uuid4().hex, name=name("group"), domain_id=domain_id, extra={})
        s.add(g)
        s.flush()
        for member in members:
            s.add(m.Membership(user_id=member, group_id=g.id))
    return g.id


def add_member(api: Api, group_id: str, user_id: str) -> None:
    with identity(api).write() as s:
        s.add(m.Membership(user_id=user_id, group_id=group_id))


def ok(r: Any, status: int) -> Any:
    assert r.status_code == status, r.text
    return r.json() if r.content else None


def role(api: Api, domain_id: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name("role"), **extra}
    if domain_id:
        body["domain_id"] = domain_id
    return ok(api.request("POST", "/roles", json={"role": body}), 201)["role"]


def domain(api: Api) -> dict[str, Any]:
    return ok(api.request("POST", "/domains", json={"domain": {"name": name("dom")}}),
              201)["domain"]


def project(api: Api, domain_id: str = "default", parent_id: str | None = None
            ) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name("proj"), "domain_id": domain_id}
    if parent_id:
        body["parent_id"] = parent_id
    return ok(api.request("POST", "/projects", json={"project": body}), 201)["project"]


def _auth(api: Api, user_id: str, scope: dict[str, Any]) -> Any:
    return api.client.post("/identity/v3/auth/tokens", json={"auth": {
        "identity": {"methods": ["password"],
                     "password": {"user": {"id": user_id, "password": PASSWORD}}},
        "scope": scope}})


def ok_token(api: Api, user_id: str, scope: dict[str, Any]) -> str:
    """A token for the user on ``scope`` (as in the request's "scope")."""
    r = _auth(api, user_id, scope)
    ok(r, 201)
    return str(r.headers["x-subject-token"])


def user_token(api: Api, user_id: str, project_id: str) -> dict[str, Any]:
    """The body of a token the user gets scoped to the project."""
    return ok(_auth(api, user_id, {"project": {"id": project_id}}), 201)["token"]
