"""Users: validation with Keystone's rules, create/update/delete, password changes.

Password hashing is deliberately slow (bcrypt), so the functions here take hashes made
beforehand: callers hash outside the write transaction (and off the event loop), which
keeps SQLite's single write lock free while bcrypt runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from runtime.common.config import SecurityComplianceSettings
from runtime.common.db import utcnow
from runtime.common.errors import BadRequest, Conflict, NotFound, Unauthorized
from runtime.identity import models as m
from runtime.identity import schemas as sch
from runtime.identity.passwords import hash_password
from runtime.identity.service import assignments, compliance, revocations, trusts
from runtime.identity.service.auth import AUTH_FAILED, verify_password
from runtime.identity.service.core import Identity
from runtime.identity.service.projects import get_domain
from runtime.identity.tokens import random_id

# Keystone's fields of a user; everything else a client sends is kept as ``extra``.
# password_expires_at is read-only and federated is for federated users: both are
# accepted and ignored rather than stored as arbitrary attributes.
USER_FIELDS = ("name", "domain_id", "enabled", "password", "default_project_id", "options",
               "password_expires_at", "federated")

# parameter_types.id_string in Keystone.
_ID_STRING = re.compile(r"^[a-zA-Z0-9-]{1,64}$")
_BOOL_OPTIONS = {o for o in sch.USER_OPTIONS if o != "multi_factor_auth_rules"}
_EXPIRY_OPS = {
    "lt": lambda v, t: v < t,
    "lte": lambda v, t: v <= t,
    "gt": lambda v, t: v > t,
    "gte": lambda v, t: v >= t,
    "eq": lambda v, t: v == t,
    "neq": lambda v, t: v != t,
}


# --- validation (shared with groups) -----------------------------------------------------


def id_string(data: Mapping[str, Any], key: str, *, nullable: bool = False) -> str | None:
    """An id attribute (domain_id, default_project_id): Keystone's id_string pattern."""
    value = sch.string(data, key, nullable=nullable, max_len=64)
    if value is not None and not _ID_STRING.match(value):
        raise BadRequest(f"Invalid input for field '{key}': {value!r} does not match "
                         f"'^[a-zA-Z0-9-]+$'")
    return value


def identity_name(data: Mapping[str, Any], max_len: int = 255) -> str:
    name = sch.string(data, "name", required=True, min_len=1, max_len=max_len)
    assert name is not None
    return name


def check_matching_id(data: Mapping[str, Any], path_id: str) -> None:
    """Keystone lets an update body repeat the id (Tempest does), never change it."""
    if "id" in data and data["id"] != path_id:
        raise BadRequest("Cannot change ID")


def require_some(data: Mapping[str, Any], key: str) -> None:
    if not data:
        raise BadRequest(f"Invalid input for field '{key}': {{}} does not have enough "
                         "properties")


def password_field(data: Mapping[str, Any]) -> str | None:
    """The password of a create/update body: a string, or null for no password."""
    return sch.string(data, "password", max_len=4096, nullable=True)


def user_options(data: Mapping[str, Any]) -> dict[str, Any] | None:
    opts = sch.options(data, sch.USER_OPTIONS)
    if opts is None:
        return None
    for name, value in opts.items():
        if value is None:
            continue  # null unsets the option
        if name in _BOOL_OPTIONS and not isinstance(value, bool):
            raise BadRequest(f"Invalid input for field 'options': {name} must be a boolean")
        if name == "multi_factor_auth_rules" and not (
            isinstance(value, list)
            and all(isinstance(rule, list) and rule and all(isinstance(x, str) for x in rule)
                    for rule in value)
        ):
            raise BadRequest("Invalid input for field 'options': multi_factor_auth_rules "
                             "must be a list of lists of method names")
    return opts


def _default_project(s: Session, data: Mapping[str, Any]) -> str | None:
    project_id = id_string(data, "default_project_id", nullable=True)
    if project_id:
        project = s.get(m.Project, project_id)
        # Keystone tolerates a project that does not exist (yet), never a domain.
        if project is not None and project.is_domain:
            raise BadRequest("User's default project ID cannot be a domain ID: "
                             f"{project_id}.")
    return project_id


# --- users -------------------------------------------------------------------------------


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
    """The operator's reset (bootstrap): a password that never expires, and the account
    unlocked, so that bootstrap stays a recovery tool whatever the compliance rules."""
    user.password_hash = hash_password(password, rounds)
    user.password_created_at = utcnow()
    user.password_expires_at = None
    user.password_self_service = False
    compliance.reenabled(user, utcnow())


def check_user_body(data: Mapping[str, Any], *, create: bool) -> None:
    """Keystone's schema checks that need no database, so that a bad request is refused
    before anyone spends a bcrypt run on its password."""
    if create:
        identity_name(data)
        id_string(data, "domain_id")
    else:
        require_some(data, "user")
        if "name" in data:
            identity_name(data)
    sch.boolean(data, "enabled")
    password_field(data)
    id_string(data, "default_project_id", nullable=True)
    user_options(data)


def check_new_password(data: Mapping[str, Any], sc: SecurityComplianceSettings) -> None:
    """password_regex on a create/update body's password, before it is hashed."""
    password = password_field(data)
    if password is not None:
        compliance.check_strength(sc, password)


def create_user(s: Session, data: dict[str, Any], default_domain_id: str,
                password_hash: str | None, sc: SecurityComplianceSettings) -> m.User:
    """A new user; ``password_hash`` is the body's password, already hashed."""
    check_user_body(data, create=True)
    name = identity_name(data)
    domain_id = id_string(data, "domain_id") or default_domain_id
    enabled = sch.boolean(data, "enabled", True)
    assert enabled is not None
    options = user_options(data) or {}
    get_domain(s, domain_id)
    _check_unique(s, name, domain_id)
    user = m.User(
        id=random_id(),
        name=name,
        domain_id=domain_id,
        enabled=enabled,
        default_project_id=_default_project(s, data),
        extra=sch.extra(data, USER_FIELDS),
        options={k: v for k, v in options.items() if v is not None},
    )
    s.add(user)
    if password_hash is not None:
        compliance.store_password(s, sc, user, password_hash, self_service=False,
                                  first_use=True)
    s.flush()
    return user


def update_user(s: Session, user: m.User, data: dict[str, Any], sc: SecurityComplianceSettings,
                password_hash: str | None = None) -> bool:
    """Apply ``data`` (with its password already hashed); True when the user's existing
    tokens must be revoked (disabled, or a new password).

    A password set here is an administrator's reset: neither the history nor the minimum
    age applies (as in Keystone), but change_password_upon_first_use does."""
    check_user_body(data, create=False)
    check_matching_id(data, user.id)
    revoke = False
    if "domain_id" in data and data["domain_id"] != user.domain_id:
        raise BadRequest("Cannot change the domain of a user.")
    if "name" in data:
        name = identity_name(data)
        if name != user.name:
            _check_unique(s, name, user.domain_id, exclude=user.id)
        user.name = name
    if "enabled" in data:
        enabled = sch.boolean(data, "enabled")
        assert enabled is not None
        revoke = revoke or (user.enabled and not enabled)
        user.enabled = enabled
        if enabled:
            compliance.reenabled(user, utcnow())
    if "default_project_id" in data:
        user.default_project_id = _default_project(s, data)
    # Options before the password: an exemption sent with a reset applies to it.
    if (opts := user_options(data)) is not None:
        merged = {**user.options, **opts}
        user.options = {k: v for k, v in merged.items() if v is not None}
    if "password" in data:
        compliance.store_password(s, sc, user, password_hash, self_service=False,
                                  first_use=True)
        revoke = True
    extra = sch.extra(data, USER_FIELDS)
    if extra:
        user.extra = {**user.extra, **extra}
    s.flush()
    return revoke


def delete_user(s: Session, user: m.User, token_lifetime: int) -> None:
    """The user and everything that is theirs: grants, memberships (cascade),
    credentials, application credentials (cascade), access rules, trusts, tokens."""
    assignments.forget_actor(s, user.id)
    s.execute(delete(m.Membership).where(m.Membership.user_id == user.id))
    s.execute(delete(m.Credential).where(m.Credential.user_id == user.id))
    s.execute(delete(m.ApplicationCredential).where(m.ApplicationCredential.user_id == user.id))
    s.execute(delete(m.AccessRule).where(m.AccessRule.user_id == user.id))
    s.execute(delete(m.PasswordHistory).where(m.PasswordHistory.user_id == user.id))
    trusts.forget_user(s, user.id, token_lifetime)
    revocations.revoke_user(s, user.id, token_lifetime)
    s.delete(user)
    s.flush()


def change_password(ident: Identity, user_id: str, original: str, new: str) -> None:
    """POST /v3/users/{id}/password: the original password is the only credential
    (Keystone lets a user whose password expired change it without a token).

    Keystone's order: the original password first (lockout and failure counting as for a
    login; an expired password is fine here), then the rules on the new one: strength,
    lock_password, minimum age, history.

    Blocking (bcrypt runs): call it from a worker thread.
    """
    sc = ident.settings.security_compliance
    with ident.read() as s:
        user = s.get(m.User, user_id)
        # The same answer for an unknown user, a wrong password and a disabled user.
        if user is None:
            raise Unauthorized(AUTH_FAILED)
        verify_password(ident, s, user, original)
        old_hash = user.password_hash
        recent = compliance.recent_hashes(s, sc, user)
    now = utcnow()
    compliance.record_success(ident, user, now)
    compliance.check_strength(sc, new)
    if user.options.get("lock_password"):
        # Keystone's PasswordSelfServiceDisabled is a validation error: 400.
        raise BadRequest("You cannot change your password at this time due to password "
                         "policy disallowing password changes. Please contact your "
                         "administrator to reset your password.")
    compliance.check_minimum_age(sc, user, now)
    compliance.check_history(sc, recent, new)
    new_hash = hash_password(new, ident.settings.bcrypt_rounds)
    with ident.write() as s:
        user = s.get(m.User, user_id)
        # Someone else changed the password meanwhile: the original is no longer proof.
        if user is None or user.password_hash != old_hash:
            raise Unauthorized(AUTH_FAILED)
        compliance.store_password(s, sc, user, new_hash, self_service=True, first_use=False)
        revocations.revoke_user(s, user_id, ident.settings.token_expiration)


# --- listing -----------------------------------------------------------------------------


def iso(dt: datetime | None) -> str | None:
    """Keystone's timestamp format for password_expires_at (UTC, microseconds)."""
    if dt is None:
        return None
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _parse_time(raw: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw.replace("z", "Z"))
    except ValueError:
        raise BadRequest(f"Invalid timestamp in password_expires_at: {raw!r}; expected "
                         "{operator}:YYYY-MM-DDTHH:mm:ssZ.") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def expiry_filter(users: Iterable[m.User], query: Mapping[str, str]) -> list[m.User]:
    """``password_expires_at={lt,lte,gt,gte,eq,neq}:TIMESTAMP`` (eq when no operator);
    users whose password never expires match no comparison, as in Keystone's SQL."""
    users = list(users)
    raw = query.get("password_expires_at")
    if raw is None:
        return users
    op, sep, rest = raw.partition(":")
    if sep and op in _EXPIRY_OPS:
        compare, when = _EXPIRY_OPS[op], _parse_time(rest)
    else:
        compare, when = _EXPIRY_OPS["eq"], _parse_time(raw)
    return [u for u in users
            if u.password_expires_at is not None and compare(u.password_expires_at, when)]
