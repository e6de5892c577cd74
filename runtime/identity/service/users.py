"""Users and groups, and password handling."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from runtime.common.db import utcnow
from runtime.common.errors import BadRequest, Conflict, NotFound
from runtime.identity import models as m
from runtime.identity import schemas as sch
from runtime.identity.passwords import hash_password
from runtime.identity.service import assignments
from runtime.identity.service.projects import get_domain
from runtime.identity.tokens import random_id

USER_FIELDS = ("name", "domain_id", "enabled", "password", "default_project_id", "options")
GROUP_FIELDS = ("name", "domain_id", "description")


def get_user(s: Session, user_id: str) -> m.User:
    user = s.get(m.User, user_id)
    if user is None:
        raise NotFound(f"Could not find user: {user_id}.")
    return user


def user_by_name(s: Session, name: str, domain_id: str) -> m.User | None:
    return s.scalar(select(m.User).where(m.User.domain_id == domain_id, m.User.name == name))


def _check_unique(s: Session, name: str, domain_id: str, exclude: str | None = None) -> None:
    found = user_by_name(s, name, domain_id)
    if found is not None and found.id != exclude:
        raise Conflict(f"Conflict occurred attempting to store user - Duplicate entry found "
                       f"with name {name} at domain ID {domain_id}.")


def set_password(user: m.User, password: str, rounds: int) -> None:
    user.password_hash = hash_password(password, rounds)
    user.password_created_at = utcnow()


def create_user(s: Session, data: dict[str, Any], default_domain_id: str,
                rounds: int) -> m.User:
    name = sch.string(data, "name", required=True, min_len=1, max_len=255)
    assert name is not None
    domain_id = sch.string(data, "domain_id", nullable=True) or default_domain_id
    get_domain(s, domain_id)
    _check_unique(s, name, domain_id)
    password = sch.string(data, "password", max_len=4096, nullable=True)
    user = m.User(
        id=random_id(),
        name=name,
        domain_id=domain_id,
        enabled=sch.boolean(data, "enabled", True),
        default_project_id=sch.string(data, "default_project_id", nullable=True),
        extra=sch.extra(data, USER_FIELDS),
        options=sch.options(data, sch.USER_OPTIONS) or {},
    )
    if password is not None:
        set_password(user, password, rounds)
    s.add(user)
    s.flush()
    return user


def update_user(s: Session, user: m.User, data: dict[str, Any], rounds: int) -> bool:
    """Apply ``data``; True when the user's existing tokens must be revoked."""
    revoke = False
    if "domain_id" in data and data["domain_id"] != user.domain_id:
        raise BadRequest("Cannot change the domain of a user.")
    if "name" in data:
        name = sch.string(data, "name", required=True, min_len=1, max_len=255)
        assert name is not None
        if name != user.name:
            _check_unique(s, name, user.domain_id, exclude=user.id)
        user.name = name
    if "enabled" in data:
        enabled = sch.boolean(data, "enabled")
        assert enabled is not None
        revoke = revoke or (user.enabled and not enabled)
        user.enabled = enabled
    if "password" in data:
        password = sch.string(data, "password", max_len=4096, nullable=True)
        if password is None:
            user.password_hash = None
        else:
            set_password(user, password, rounds)
        revoke = True
    if "default_project_id" in data:
        user.default_project_id = sch.string(data, "default_project_id", nullable=True)
    if (opts := sch.options(data, sch.USER_OPTIONS)) is not None:
        merged = {**user.options, **opts}
        user.options = {k: v for k, v in merged.items() if v is not None}
    extra = sch.extra(data, USER_FIELDS)
    if extra:
        user.extra = {**user.extra, **extra}
    s.flush()
    return revoke


def delete_user(s: Session, user: m.User) -> None:
    assignments.forget_actor(s, user.id)
    s.execute(delete(m.Credential).where(m.Credential.user_id == user.id))
    s.execute(delete(m.AccessRule).where(m.AccessRule.user_id == user.id))
    s.delete(user)


def password_expires(user: m.User) -> datetime | None:
    return user.password_expires_at
