"""Application credentials and their access rules.

An application credential lets a program authenticate as its user on one project with
a subset of the user's roles, without the user's password. Its secret is shown once, at
creation, and only its bcrypt hash is kept.
"""

from __future__ import annotations

import base64
import re
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.common.errors import BadRequest, Conflict, Forbidden, NotFound
from runtime.identity import models as m
from runtime.identity import schemas as sch
from runtime.identity.service import trusts
from runtime.identity.tokens import random_id

_METHODS = re.compile(r"^(POST|GET|HEAD|PATCH|PUT|DELETE)$")
APP_CRED_FIELDS = ("name", "description", "secret", "expires_at", "roles", "unrestricted",
                   "access_rules", "project_id", "user_id", "system")


def generate_secret() -> str:
    """64 random bytes, URL-safe base64 without padding, as Keystone makes them."""
    return base64.urlsafe_b64encode(secrets.token_bytes(64)).rstrip(b"=").decode()


def get_app_cred(s: Session, user_id: str, app_cred_id: str) -> m.ApplicationCredential:
    ac = s.get(m.ApplicationCredential, app_cred_id)
    if ac is None or ac.user_id != user_id:
        raise NotFound(f"Could not find Application Credential: {app_cred_id}.")
    return ac


def list_app_creds(s: Session, user_id: str, name: str | None = None
                   ) -> list[m.ApplicationCredential]:
    q = select(m.ApplicationCredential).where(m.ApplicationCredential.user_id == user_id)
    if name is not None:
        q = q.where(m.ApplicationCredential.name == name)
    return list(s.scalars(q.order_by(m.ApplicationCredential.created_at)))


def _access_rule_refs(data: dict[str, Any]) -> list[dict[str, Any]]:
    value = data.get("access_rules")
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadRequest(f"Invalid input for field 'access_rules': {value!r} is not of type "
                         "'array'")
    for rule in value:
        if not isinstance(rule, dict) or set(rule) - {"id", "service", "path", "method"}:
            raise BadRequest("Invalid input for field 'access_rules': each rule has only "
                             "id, service, path and method")
        path = rule.get("path")
        if path is not None and (not isinstance(path, str) or not path.startswith("/")
                                 or len(path) > 225):
            raise BadRequest(f"Invalid input for field 'path': {path!r} does not match "
                             "'^\\/.*'")
        method = rule.get("method")
        if method is not None and (not isinstance(method, str) or not _METHODS.match(method)):
            raise BadRequest(f"Invalid input for field 'method': {method!r} does not match "
                             f"{_METHODS.pattern!r}")
        for key in ("service", "id"):
            v = rule.get(key)
            if v is not None and (not isinstance(v, str) or not 1 <= len(v) <= 64):
                raise BadRequest(f"Invalid input for field '{key}': {v!r}")
    return value


def _access_rule(s: Session, user_id: str, ref: dict[str, Any]) -> m.AccessRule:
    """An existing rule of the user (by id, or identical), else a new one."""
    if "id" in ref:
        rule = s.get(m.AccessRule, ref["id"])
        if rule is not None and rule.user_id == user_id:
            return rule
    if not all(isinstance(ref.get(k), str) for k in ("service", "path", "method")):
        if "id" in ref:
            raise NotFound(f"Could not find access rule: {ref['id']}.")
        raise BadRequest("An access rule needs service, path and method.")
    rule = s.scalar(select(m.AccessRule).where(
        m.AccessRule.user_id == user_id, m.AccessRule.service == ref["service"],
        m.AccessRule.path == ref["path"], m.AccessRule.method == ref["method"]))
    if rule is None:
        rule_id = ref.get("id") or random_id()
        if s.get(m.AccessRule, rule_id) is not None:
            rule_id = random_id()
        rule = m.AccessRule(id=rule_id, user_id=user_id, service=ref["service"],
                            path=ref["path"], method=ref["method"])
        s.add(rule)
        s.flush()
    return rule


def secret_of(data: dict[str, Any]) -> str:
    """The secret the request chose, or a new one."""
    return sch.string(data, "secret", max_len=4096, nullable=True) or generate_secret()


def create_app_cred(
    s: Session,
    data: dict[str, Any],
    *,
    user_id: str,
    project_id: str | None,
    system: str | None,
    token_role_ids: list[str],
    held_role_ids: set[str],
    secret_hash: str,
) -> m.ApplicationCredential:
    """A new credential whose secret has ``secret_hash`` (hashed beforehand: bcrypt is
    slow, and holding the write transaction meanwhile would stall every other writer).

    ``token_role_ids`` are the roles of the caller's token, ``held_role_ids`` the roles
    the user holds on the scope right now; the credential gets a subset of both.
    """
    name = sch.string(data, "name", required=True, min_len=1, max_len=255)
    assert name is not None
    description = sch.string(data, "description", max_len=65535, nullable=True)
    unrestricted = sch.boolean(data, "unrestricted", False)
    expires_at: datetime | None = None
    if data.get("expires_at") is not None:
        expires_at = trusts.parse_expiry(data["expires_at"])
    refs = trusts.role_refs(data)
    rule_refs = _access_rule_refs(data)
    if s.scalar(select(m.ApplicationCredential.id).where(
            m.ApplicationCredential.user_id == user_id,
            m.ApplicationCredential.name == name)) is not None:
        raise Conflict("Conflict occurred attempting to store application_credential - "
                       f"Duplicate entry found with name {name}.")
    if refs:
        roles = [trusts.role_by_ref(s, ref) for ref in refs]
        # Nobody hands a program a role their own token does not carry.
        for role in roles:
            if role.id not in token_role_ids:
                raise BadRequest("Invalid application credential: Cannot create an "
                                 "application credential with unassigned role")
    else:
        roles = [r for r in (s.get(m.Role, rid) for rid in token_role_ids) if r is not None]
    for role in roles:
        if role.id not in held_role_ids:
            raise BadRequest(f"Invalid application credential: Could not find role "
                             f"assignment with role: {role.id}, user or group: {user_id}, "
                             f"project, domain, or system: {project_id or system}.")
    rules = [_access_rule(s, user_id, ref) for ref in rule_refs]
    ac = m.ApplicationCredential(
        id=random_id(), name=name, user_id=user_id, project_id=project_id, system=system,
        secret_hash=secret_hash, description=description,
        expires_at=expires_at, unrestricted=bool(unrestricted),
        roles=[{"id": r.id, "name": r.name} for r in dict.fromkeys(roles)],
        access_rule_ids=list(dict.fromkeys(r.id for r in rules)),
    )
    s.add(ac)
    s.flush()
    return ac


def access_rules_of(s: Session, ac: m.ApplicationCredential) -> list[m.AccessRule]:
    if not ac.access_rule_ids:
        return []
    rules = {r.id: r for r in s.scalars(
        select(m.AccessRule).where(m.AccessRule.id.in_(ac.access_rule_ids)))}
    return [rules[i] for i in ac.access_rule_ids if i in rules]


def list_access_rules(s: Session, user_id: str) -> list[m.AccessRule]:
    return list(s.scalars(
        select(m.AccessRule).where(m.AccessRule.user_id == user_id).order_by(m.AccessRule.id)))


def get_access_rule(s: Session, user_id: str, rule_id: str) -> m.AccessRule:
    rule = s.get(m.AccessRule, rule_id)
    if rule is None or rule.user_id != user_id:
        raise NotFound(f"Could not find access rule: {rule_id}.")
    return rule


def delete_access_rule(s: Session, rule: m.AccessRule) -> None:
    for ac in list_app_creds(s, rule.user_id):
        if rule.id in (ac.access_rule_ids or []):
            raise Forbidden(f"Cannot delete access rule {rule.id}: it is in use by "
                            "application credentials.")
    s.delete(rule)
