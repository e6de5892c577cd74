"""Authentication, token issue and validation.

Validation is the hot path of the whole cloud (every API call of every service makes
one), so a validated token is cached per process together with the identity
*generation* it was computed at; any identity write bumps the generation, so a cached
answer is used only while nothing it depends on can have changed.
"""

from __future__ import annotations

import dataclasses
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.common.context import Context
from runtime.common.errors import BadRequest, Forbidden, NotFound, Unauthorized
from runtime.identity import models as m
from runtime.identity.service import assignments, catalog, revocations, trusts
from runtime.identity.service.core import Identity
from runtime.identity.tokens import TokenPayload, new_audit_id

AUTH_FAILED = "The request you have made requires authentication."
TOKEN_CACHE_SIZE = 10_000


def iso(ts: float | datetime | None) -> str | None:
    if ts is None:
        return None
    dt = ts if isinstance(ts, datetime) else datetime.fromtimestamp(ts, UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class ValidToken:
    """A token found valid: its payload, the caller it stands for, and its body."""

    payload: TokenPayload
    context: Context
    body: dict[str, Any]  # the "token" object, without the catalog
    catalog: list[dict[str, Any]] = field(default_factory=list)


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


def _check_user_usable(s: Session, user: m.User) -> None:
    domain = s.get(m.Project, user.domain_id)
    if not user.enabled or domain is None or not domain.enabled:
        raise Unauthorized(AUTH_FAILED)


def password_method(ident: Identity, s: Session, data: Any) -> Authenticated:
    if not isinstance(data, dict) or "user" not in data:
        raise BadRequest("Expecting to find user in password.")
    ref = data["user"]
    user = _user_from_ref(s, ref)
    password = ref.get("password")
    if not isinstance(password, str) or user.password_hash is None:
        raise Unauthorized(AUTH_FAILED)
    if not ident.passwords.verify(user.id, password, user.password_hash):
        raise Unauthorized(AUTH_FAILED)
    _check_user_usable(s, user)
    return Authenticated(user=user, methods=["password"])


def token_method(ident: Identity, s: Session, data: Any) -> Authenticated:
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise BadRequest("Expecting to find id in token.")
    try:
        valid = validate(ident, data["id"])
    except NotFound:
        raise Unauthorized(AUTH_FAILED) from None
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
    _check_user_usable(s, user)
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
    except NotFound as exc:
        raise Unauthorized(exc.message) from None
    return token, valid


# --- validation -----------------------------------------------------------------------


def _remember(ident: Identity, token: str, generation: int, valid: ValidToken) -> None:
    cache = ident.token_cache
    if not isinstance(cache, OrderedDict):
        ident.token_cache = cache = OrderedDict(cache)
    cache[token] = (generation, valid)
    if len(cache) > TOKEN_CACHE_SIZE:
        cache.popitem(last=False)


def validate(
    ident: Identity, token: str, *, allow_expired: bool = False,
    payload: TokenPayload | None = None,
) -> ValidToken:
    """The token's validated form, or NotFound (404) if it is not valid now."""
    generation = ident.generation()
    cached = ident.token_cache.get(token)
    if cached is not None and cached[0] == generation:
        valid: ValidToken = cached[1]
        if allow_expired or valid.payload.expires_at > time.time():
            return valid
        raise NotFound("The token has expired.")
    p = payload or ident.codec.decode(token)
    if p is None:
        raise NotFound("Could not recognize the token.")
    if not allow_expired and p.expires_at <= time.time():
        raise NotFound("The token has expired.")
    with ident.read() as s:
        if revocations.is_revoked(s, p):
            raise NotFound("The token has been revoked.")
        valid = _build(ident, s, token, p)
    _remember(ident, token, generation, valid)
    return valid


def _build(ident: Identity, s: Session, token: str, p: TokenPayload) -> ValidToken:
    invalid = NotFound("The token is no longer valid.")
    user = s.get(m.User, p.user_id)
    if user is None or not user.enabled:
        raise invalid
    user_domain = s.get(m.Project, user.domain_id)
    if user_domain is None or not user_domain.enabled:
        raise invalid
    body: dict[str, Any] = {
        "methods": list(p.methods),
        "user": {
            "id": user.id,
            "name": user.name,
            "domain": {"id": user_domain.id, "name": user_domain.name},
            "password_expires_at": iso(user.password_expires_at),
        },
        "audit_ids": list(p.audit_ids),
        "expires_at": iso(p.expires_at),
        "issued_at": iso(p.issued_at),
    }
    roles: list[m.Role] = []
    project_domain_id = None
    if p.project_id:
        project = s.get(m.Project, p.project_id)
        if project is None or project.is_domain or not project.enabled:
            raise invalid
        pdomain = s.get(m.Project, project.domain_id)
        if pdomain is None or not pdomain.enabled:
            raise invalid
        project_domain_id = pdomain.id
        roles = assignments.effective_roles(s, user.id, project_id=project.id)
        body["project"] = {
            "id": project.id,
            "name": project.name,
            "domain": {"id": pdomain.id, "name": pdomain.name},
        }
        body["is_domain"] = False
    elif p.domain_id:
        domain = s.get(m.Project, p.domain_id)
        if domain is None or not domain.is_domain or not domain.enabled:
            raise invalid
        roles = assignments.effective_roles(s, user.id, domain_id=domain.id)
        body["domain"] = {"id": domain.id, "name": domain.name}
    elif p.system:
        roles = assignments.effective_roles(s, user.id, system=p.system)
        body["system"] = {p.system: True}
    if p.trust_id:
        trust = trusts.for_token(s, p.trust_id)
        if (trust is None or trust.project_id != p.project_id
                or not trusts.parties_usable(s, trust)):
            raise invalid
        try:
            roles = trusts.delegated_roles(s, trust)
        except Forbidden:
            raise invalid from None  # the trustor lost a delegated role
        body["OS-TRUST:trust"] = trusts.token_section(trust)
    if p.app_cred_id:
        ac = s.get(m.ApplicationCredential, p.app_cred_id)
        if ac is None or (ac.expires_at is not None and ac.expires_at <= datetime.now(UTC)):
            raise invalid
        allowed = {r["id"] for r in ac.roles}
        if not allowed <= {r.id for r in roles}:
            raise invalid  # the user lost a role the credential was created with
        roles = [r for r in roles if r.id in allowed]
        body["application_credential"] = {
            "id": ac.id, "name": ac.name, "restricted": not ac.unrestricted,
        }
        if ac.access_rule_ids:
            rules = s.scalars(select(m.AccessRule).where(m.AccessRule.id.in_(ac.access_rule_ids)))
            body["application_credential"]["access_rules"] = [
                {"id": r.id, "service": r.service, "path": r.path, "method": r.method}
                for r in rules]
    scoped = p.project_id or p.domain_id or p.system
    if scoped and not roles:
        raise invalid
    if scoped:
        body["roles"] = [{"id": r.id, "name": r.name} for r in roles]
    context = Context(
        request_id="",
        user_id=user.id,
        user_domain_id=user.domain_id,
        project_id=p.project_id,
        project_domain_id=project_domain_id,
        domain_id=p.domain_id,
        system_scope=p.system,
        roles=frozenset(r.name for r in roles),
        token=token,
        token_data={"app_cred_id": p.app_cred_id, "trust_id": p.trust_id,
                    "unrestricted": body.get("application_credential", {}).get(
                        "restricted") is False, "audit_ids": p.audit_ids},
    )
    cat = catalog.build_catalog(s, p.project_id, user.id) if scoped else []
    return ValidToken(payload=p, context=context, body=body, catalog=cat)


def revoke(ident: Identity, token: str) -> None:
    valid = validate(ident, token)
    with ident.write() as s:
        revocations.revoke_token(s, valid.payload)
    ident.token_cache.pop(token, None)


class IdentityValidator:
    """The auth middleware's view of the identity service."""

    def __init__(self, ident: Identity) -> None:
        self.ident = ident

    def context_for(self, token: str, request_id: str) -> Context | None:
        try:
            valid = validate(self.ident, token)
        except NotFound:
            return None
        return dataclasses.replace(valid.context, request_id=request_id)
