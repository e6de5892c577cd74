"""Token validation: the hot path of the whole cloud.

Every API call of every service validates a token, so a validated token is cached per
process together with the identity *generation* it was computed at; any identity write
bumps the generation, so a cached answer is used only while nothing it depends on can
have changed. Expiry is checked on every call, cached or not.
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
from runtime.common.errors import Forbidden, NotFound
from runtime.identity import models as m
from runtime.identity.service import assignments, catalog, revocations, trusts
from runtime.identity.service.core import Identity
from runtime.identity.tokens import TokenPayload

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
    valid_until: float | None = None  # see ScopeGrant.valid_until


@dataclass(frozen=True)
class ScopeGrant:
    """What a token's validity and body take from the database, shared by every token of
    the same user on the same scope (project, domain or system, trust, app credential)."""

    body: dict[str, Any]  # user, scope, roles and trust/app-credential sections
    context: Context  # without the token itself
    catalog: list[dict[str, Any]]
    # The earliest expiry of what the grant rests on (a trust, an application
    # credential): time passing invalidates a grant without any write.
    valid_until: float | None


def _bounded_put(cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
    cache[key] = value
    cache.move_to_end(key)
    if len(cache) > TOKEN_CACHE_SIZE:
        cache.popitem(last=False)


def validate(
    ident: Identity, token: str, *, allow_expired: bool = False,
    payload: TokenPayload | None = None,
) -> ValidToken:
    """The token's validated form, or NotFound (404) if it is not valid now.

    ``payload`` is given for a token issued a moment ago, which no revocation can
    have matched yet.
    """
    now = time.time()
    generation = ident.generation()
    cached = ident.token_cache.get(token)
    if cached is not None and cached[0] == generation:
        valid: ValidToken = cached[1]
        if valid.payload.expires_at <= now and not allow_expired:
            raise NotFound("The token has expired.")
        if valid.valid_until is None or valid.valid_until > now:
            return valid
    p = payload or ident.codec.decode(token)
    if p is None:
        raise NotFound("Could not recognize the token.")
    if not allow_expired and p.expires_at <= now:
        raise NotFound("The token has expired.")
    key = (p.user_id, p.project_id, p.domain_id, p.system, p.trust_id, p.app_cred_id)
    grant_entry = ident.scope_cache.get(key)
    grant: ScopeGrant | None = None
    if grant_entry is not None and grant_entry[0] == generation:
        grant = grant_entry[1]
        if grant is not None and grant.valid_until is not None and grant.valid_until <= now:
            grant = None
    if grant is None or payload is None:
        with ident.read() as s:
            if payload is None and revocations.is_revoked(s, p):
                raise NotFound("The token has been revoked.")
            if grant is None:
                grant = _grant(s, p)
                _bounded_put(ident.scope_cache, key, (generation, grant))
    valid = _token(token, p, grant)
    _bounded_put(ident.token_cache, token, (generation, valid))
    return valid


def _token(token: str, p: TokenPayload, grant: ScopeGrant) -> ValidToken:
    body = {
        "methods": list(p.methods),
        **grant.body,
        "audit_ids": list(p.audit_ids),
        "expires_at": iso(p.expires_at),
        "issued_at": iso(p.issued_at),
    }
    context = dataclasses.replace(
        grant.context, token=token, token_data={**grant.context.token_data,
                                                "audit_ids": p.audit_ids})
    return ValidToken(payload=p, context=context, body=body, catalog=grant.catalog,
                      valid_until=grant.valid_until)


def _grant(s: Session, p: TokenPayload) -> ScopeGrant:
    invalid = NotFound("The token is no longer valid.")
    user = s.get(m.User, p.user_id)
    if user is None or not user.enabled:
        raise invalid
    user_domain = s.get(m.Project, user.domain_id)
    if user_domain is None or not user_domain.enabled:
        raise invalid
    body: dict[str, Any] = {
        "user": {
            "id": user.id,
            "name": user.name,
            "domain": {"id": user_domain.id, "name": user_domain.name},
            "password_expires_at": iso(user.password_expires_at),
        },
    }
    valid_until: list[float] = []
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
        if trust.expires_at is not None:
            valid_until.append(trust.expires_at.timestamp())
    if p.app_cred_id:
        ac = s.get(m.ApplicationCredential, p.app_cred_id)
        if ac is None or (ac.expires_at is not None and ac.expires_at <= datetime.now(UTC)):
            raise invalid
        allowed = {r["id"] for r in ac.roles}
        if not allowed <= {r.id for r in roles}:
            raise invalid  # the user lost a role the credential was created with
        roles = [r for r in roles if r.id in allowed]
        if ac.expires_at is not None:
            valid_until.append(ac.expires_at.timestamp())
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
        token_data={"app_cred_id": p.app_cred_id, "trust_id": p.trust_id,
                    "unrestricted": body.get("application_credential", {}).get(
                        "restricted") is False},
    )
    cat = catalog.build_catalog(s, p.project_id, user.id) if scoped else []
    return ScopeGrant(body=body, context=context, catalog=cat,
                      valid_until=min(valid_until) if valid_until else None)




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
