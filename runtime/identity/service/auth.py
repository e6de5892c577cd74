"""Authentication and token issue (POST /v3/auth/tokens): methods, then scope."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.common.db import utcnow
from runtime.common.errors import BadRequest, Forbidden, NotFound, Unauthorized
from runtime.identity import models as m
from runtime.identity.service import assignments, compliance, trusts
from runtime.identity.service.core import Identity
from runtime.identity.service.validation import ValidToken, validate
from runtime.identity.tokens import TokenPayload, new_audit_id

AUTH_FAILED = "The request you have made requires authentication."


@dataclass
class Authenticated:
    user: m.User
    methods: list[str]
    expires_at: float | None = None
    audit_chain: str | None = None
    app_cred: m.ApplicationCredential | None = None
    trust_id: str | None = None
    project_id: str | None = None  # a scope the method fixes (application credentials)


# --- looking up who is authenticating -------------------------------------------------


def _domain_from_ref(s: Session, ref: Any) -> m.Project:
    if not isinstance(ref, dict) or not ({"id", "name"} & set(ref)):
        raise BadRequest("Expecting to find domain id or name in request.")
    if "id" in ref:
        d = s.get(m.Project, ref["id"])
    else:
        d = s.scalar(
            select(m.Project).where(m.Project.is_domain.is_(True), m.Project.name == ref["name"])
        )
    if d is None or not d.is_domain:
        raise Unauthorized(AUTH_FAILED)
    return d


def _user_from_ref(s: Session, ref: Any) -> m.User:
    if not isinstance(ref, dict):
        raise BadRequest("Expecting to find user in request.")
    if "id" in ref:
        user = s.get(m.User, ref["id"])
    elif "name" in ref:
        if "domain" not in ref:
            raise BadRequest("Expecting to find domain in user - the user name is not unique.")
        domain = _domain_from_ref(s, ref["domain"])
        user = s.scalar(
            select(m.User).where(m.User.domain_id == domain.id, m.User.name == ref["name"])
        )
    else:
        raise BadRequest("Expecting to find user id or name in request.")
    if user is None:
        raise Unauthorized(AUTH_FAILED)
    return user


def _check_user_usable(ident: Identity, s: Session, user: m.User) -> None:
    domain = s.get(m.Project, user.domain_id)
    sc = ident.settings.security_compliance
    if not compliance.effectively_enabled(sc, user) or domain is None or not domain.enabled:
        raise Unauthorized(AUTH_FAILED)


def verify_password(ident: Identity, s: Session, user: m.User, password: Any) -> None:
    """Keystone's checks of a user's password, in its order: a locked account is refused
    before its password is even looked at (so guessing gains nothing), a wrong password
    counts towards the lock, and then a disabled or inactive user is refused. Every refusal
    says the same, so a caller learns nothing about the account's state.

    Blocking (bcrypt on a cache miss). Password expiry is the caller's to check: changing
    an expired password is allowed."""
    now = utcnow()
    if compliance.is_locked(ident.settings.security_compliance, user, now):
        raise Unauthorized(AUTH_FAILED)
    if not isinstance(password, str) or user.password_hash is None:
        raise Unauthorized(AUTH_FAILED)
    if not ident.passwords.verify(user.id, password, user.password_hash):
        compliance.record_failure(ident, user.id, now)
        raise Unauthorized(AUTH_FAILED)
    _check_user_usable(ident, s, user)


def password_method(ident: Identity, s: Session, data: Any) -> Authenticated:
    if not isinstance(data, dict) or "user" not in data:
        raise BadRequest("Expecting to find user in password.")
    ref = data["user"]
    user = _user_from_ref(s, ref)
    verify_password(ident, s, user, ref.get("password"))
    now = utcnow()
    if compliance.password_expired(user, now):
        # Keystone's message: the client should offer the user a password change.
        raise Unauthorized(compliance.password_expired_message(user.id))
    compliance.record_success(ident, user, now)
    return Authenticated(user=user, methods=["password"])


def token_method(ident: Identity, s: Session, data: Any) -> Authenticated:
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise BadRequest("Expecting to find id in token.")
    # A token that is not valid (revoked, expired, unknown) is a 404, as in Keystone,
    # not a 401: Tempest's test_user_update_own_password expects exactly that.
    valid = validate(ident, data["id"])
    p = valid.payload
    if p.app_cred_id:
        raise Forbidden("Application credential tokens cannot be rescoped.")
    if p.trust_id:
        raise Forbidden("Trust tokens cannot be rescoped.")
    user = s.get(m.User, p.user_id)
    if user is None:
        raise Unauthorized(AUTH_FAILED)
    methods = list(dict.fromkeys(["token", *p.methods]))
    return Authenticated(user=user, methods=methods, expires_at=p.expires_at,
                         audit_chain=p.audit_chain_id)


def application_credential_method(ident: Identity, s: Session, data: Any) -> Authenticated:
    if not isinstance(data, dict) or not isinstance(data.get("secret"), str):
        raise BadRequest("Expecting to find secret in application_credential.")
    if "id" in data:
        ac = s.get(m.ApplicationCredential, data["id"])
    elif "name" in data and "user" in data:
        owner = _user_from_ref(s, data["user"])
        ac = s.scalar(
            select(m.ApplicationCredential).where(
                m.ApplicationCredential.user_id == owner.id,
                m.ApplicationCredential.name == data["name"],
            )
        )
    else:
        raise BadRequest("Expecting to find application credential id, or name and user.")
    if ac is None:
        raise Unauthorized(AUTH_FAILED)
    if ac.expires_at is not None and ac.expires_at <= datetime.now(UTC):
        raise Unauthorized(AUTH_FAILED)
    if not ident.passwords.verify("ac:" + ac.id, data["secret"], ac.secret_hash):
        raise Unauthorized(AUTH_FAILED)
    user = s.get(m.User, ac.user_id)
    if user is None:
        raise Unauthorized(AUTH_FAILED)
    _check_user_usable(ident, s, user)
    return Authenticated(user=user, methods=["application_credential"], app_cred=ac,
                         project_id=ac.project_id)


METHOD_HANDLERS = {
    "password": password_method,
    "token": token_method,
    "application_credential": application_credential_method,
}


# --- scope ----------------------------------------------------------------------------


@dataclass
class Scope:
    project_id: str | None = None
    domain_id: str | None = None
    system: str | None = None
    trust_id: Any = None  # as the request gave it; checked once the user is known


def _resolve_scope(s: Session, scope: Any) -> Scope:
    if scope is None or scope == "unscoped":
        return Scope()
    if not isinstance(scope, dict):
        raise BadRequest("Invalid scope.")
    keys = {"project", "domain", "system", "OS-TRUST:trust"} & set(scope)
    if len(keys) > 1:
        raise BadRequest("Specify a project, a domain or the system as scope, not several.")
    if "project" in scope:
        ref = scope["project"]
        if not isinstance(ref, dict):
            raise BadRequest("Invalid project scope.")
        if "id" in ref:
            project = s.get(m.Project, ref["id"])
        elif "name" in ref:
            if "domain" not in ref:
                raise BadRequest("Expecting to find domain in project.")
            domain = _domain_from_ref(s, ref["domain"])
            project = s.scalar(
                select(m.Project).where(
                    m.Project.domain_id == domain.id,
                    m.Project.name == ref["name"],
                    m.Project.is_domain.is_(False),
                )
            )
        else:
            raise BadRequest("Expecting to find project id or name in scope.")
        if project is None or project.is_domain:
            raise Unauthorized(AUTH_FAILED)
        return Scope(project_id=project.id)
    if "domain" in scope:
        return Scope(domain_id=_domain_from_ref(s, scope["domain"]).id)
    if "system" in scope:
        if scope["system"] != {"all": True}:
            raise BadRequest("The only system scope is {'all': true}.")
        return Scope(system="all")
    if "OS-TRUST:trust" in scope:
        ref = scope["OS-TRUST:trust"]
        if not isinstance(ref, dict) or "id" not in ref:
            raise BadRequest("Expecting to find id in OS-TRUST:trust.")
        return Scope(trust_id=ref["id"])
    raise BadRequest("Invalid scope.")


# --- issue ----------------------------------------------------------------------------


def authenticate(ident: Identity, body: Any) -> tuple[str, ValidToken]:
    """Run POST /v3/auth/tokens: returns the new token and its validated form."""
    if not isinstance(body, dict) or not isinstance(body.get("auth"), dict):
        raise BadRequest("Expecting to find auth in request body.")
    auth = body["auth"]
    identity = auth.get("identity")
    if not isinstance(identity, dict) or not isinstance(identity.get("methods"), list):
        raise BadRequest("Expecting to find identity and methods in auth.")
    methods = identity["methods"]
    if not methods:
        raise BadRequest("Expecting at least one authentication method.")
    with ident.read() as s:
        result: Authenticated | None = None
        for method in methods:
            handler = METHOD_HANDLERS.get(method)
            if handler is None:
                raise Unauthorized(f"Unsupported authentication method: {method}")
            if method not in identity:
                raise BadRequest(f"Expecting to find {method} in identity.")
            got = handler(ident, s, identity[method])
            if result is not None and got.user.id != result.user.id:
                raise Unauthorized(AUTH_FAILED)
            result = got
        assert result is not None
        if "scope" in auth and result.app_cred is not None:
            raise Unauthorized("Application credentials cannot request a scope.")
        if result.app_cred is not None:
            scope = Scope(project_id=result.project_id, system=result.app_cred.system)
        else:
            scope = _resolve_scope(s, auth.get("scope"))
        token_user_id = result.user.id
        trust: m.Trust | None = None
        if scope.trust_id is not None:
            # The trustee gets the trust's project and roles; with impersonation the
            # token stands for the trustor.
            trust = trusts.authorize(s, scope.trust_id, result.user.id)
            if trust.impersonation:
                token_user_id = trust.trustor_user_id
            scope = Scope(project_id=trust.project_id)
        if (
            scope.project_id is None
            and scope.domain_id is None
            and scope.system is None
            and "scope" not in auth
            and result.user.default_project_id
        ):
            # Keystone scopes a token to the default project when none is asked for and
            # the user still has a role there; otherwise the token stays unscoped.
            default = s.get(m.Project, result.user.default_project_id)
            if default is not None and default.enabled and assignments.effective_roles(
                s, result.user.id, project_id=default.id
            ):
                scope = Scope(project_id=default.id)
    if trust is not None and trust.remaining_uses is not None:
        with ident.write() as s:
            trusts.consume_use(s, trust.id)
    now = time.time()
    expires = result.expires_at or now + ident.settings.token_expiration
    if trust is not None and trust.expires_at is not None:
        expires = min(expires, trust.expires_at.timestamp())
    audit = [new_audit_id()]
    if result.audit_chain:
        audit.append(result.audit_chain)
    payload = TokenPayload(
        user_id=token_user_id,
        methods=tuple(result.methods),
        issued_at=now,
        expires_at=expires,
        audit_ids=tuple(audit),
        project_id=scope.project_id,
        domain_id=scope.domain_id,
        system=scope.system,
        app_cred_id=result.app_cred.id if result.app_cred else None,
        trust_id=trust.id if trust is not None else result.trust_id,
    )
    token = ident.codec.encode(payload)
    try:
        valid = validate(ident, token, payload=payload)
    except NotFound:
        # The scope exists (resolved above) but grants this user nothing usable.
        target = (f"project {scope.project_id}" if scope.project_id else
                  f"domain {scope.domain_id}" if scope.domain_id else "the system")
        raise Unauthorized(f"User {result.user.id} has no access to {target}.") from None
    return token, valid
