"""OS-TRUST: a trustor delegates some of their roles on a project to a trustee.

A trust is only as good as its trustor's current roles: the roles a trust-scoped token
carries are recomputed on every validation and the token stops being valid the moment
the trustor loses one of them, the trust is deleted, or it expires.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from runtime.common.db import utcnow
from runtime.common.errors import BadRequest, Forbidden, NotFound
from runtime.identity import models as m
from runtime.identity import schemas as sch
from runtime.identity.service import assignments, revocations
from runtime.identity.service.projects import get_project
from runtime.identity.tokens import random_id

# Keystone's [trust] max_redelegation_count.
MAX_REDELEGATION_COUNT = 3
TRUST_FIELDS = ("trustor_user_id", "trustee_user_id", "impersonation", "project_id",
                "remaining_uses", "expires_at", "allow_redelegation", "redelegation_count",
                "redelegated_trust_id", "roles")


def parse_expiry(value: Any, field: str = "expires_at") -> datetime | None:
    """Keystone's parse_expiration_date: ISO 8601 (UTC when no zone), not in the past."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"Invalid input for field '{field}': {value!r} is not of type "
                         "'string'")
    raw = value.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise BadRequest(
            "Timestamp not in expected format. The server could not comply with the request "
            "since it is either malformed or otherwise incorrect. The client is assumed to "
            "be in error.") from None
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if parsed <= datetime.now(UTC):
        raise BadRequest(f"The '{field}' must not be before now.")
    return parsed


def _expired(trust: m.Trust) -> bool:
    return trust.expires_at is not None and trust.expires_at <= datetime.now(UTC)


def get_trust(s: Session, trust_id: str) -> m.Trust:
    """A trust that can still be used: not deleted, not expired, uses left (else 404)."""
    trust = s.get(m.Trust, trust_id)
    if (trust is None or trust.deleted_at is not None or _expired(trust)
            or (trust.remaining_uses is not None and trust.remaining_uses <= 0)):
        raise NotFound(f"Could not find trust: {trust_id}.")
    return trust


def for_token(s: Session, trust_id: str) -> m.Trust | None:
    """The trust behind an issued token, while the token may still stand on it.

    Uses left do not matter here: the last use issued this very token.
    """
    trust = s.get(m.Trust, trust_id)
    if trust is None or trust.deleted_at is not None or _expired(trust):
        return None
    return trust


def pedigree(s: Session, trust: m.Trust) -> list[m.Trust]:
    """The trust and the trusts it was redelegated from, original last."""
    chain = [trust]
    seen = {trust.id}
    while chain[-1].redelegated_trust_id and chain[-1].redelegated_trust_id not in seen:
        parent = s.get(m.Trust, chain[-1].redelegated_trust_id)
        if parent is None:
            break
        seen.add(parent.id)
        chain.append(parent)
    return chain


def role_by_ref(s: Session, ref: dict[str, Any]) -> m.Role:
    if "id" in ref:
        role = s.get(m.Role, ref["id"])
        if role is None:
            raise NotFound(f"Could not find role: {ref['id']}.")
        return role
    roles = list(s.scalars(select(m.Role).where(m.Role.name == ref["name"])))
    if not roles:
        raise NotFound(f"Could not find role: {ref['name']}.")
    # A global role wins over domain-specific roles of the same name.
    roles.sort(key=lambda r: r.domain_id is not None)
    return roles[0]


def role_refs(data: dict[str, Any], key: str = "roles") -> list[dict[str, Any]]:
    """``[{"id": ...} | {"name": ...}]`` as the trust and app credential schemas allow."""
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadRequest(f"Invalid input for field '{key}': {value!r} is not of type 'array'")
    for ref in value:
        if (not isinstance(ref, dict) or len(ref) != 1 or not ({"id", "name"} & set(ref))
                or not isinstance(next(iter(ref.values())), str)):
            raise BadRequest(f"Invalid input for field '{key}': each role is "
                             "{'id': ...} or {'name': ...}")
    return value


def held_role_ids(s: Session, user_id: str, project_id: str) -> set[str]:
    """Every role the user holds on the project, implied and domain-specific ones too."""
    direct = assignments.direct_role_ids(s, user_id, project_id=project_id)
    return assignments.implied_closure(s, direct)


def _check_redelegation(parent: m.Trust, trust: m.Trust, role_ids: set[str]) -> None:
    depth = parent.redelegation_count or 0
    if not 0 < depth <= MAX_REDELEGATION_COUNT:
        raise Forbidden(f"Remaining redelegation depth of {depth} out of allowed range of "
                        f"[0..{MAX_REDELEGATION_COUNT}]")
    if trust.remaining_uses is not None:
        raise Forbidden(f'Field "remaining_uses" is set to {trust.remaining_uses} while it '
                        "must not be set in order to redelegate a trust")
    if trust.expires_at is None:
        trust.expires_at = parent.expires_at
    elif parent.expires_at is not None and parent.expires_at < trust.expires_at:
        raise Forbidden("Requested expiration time is more than redelegated trust can "
                        "provide")
    if not role_ids <= {r["id"] for r in parent.roles}:
        raise Forbidden("Some of requested roles are not in redelegated trust")
    if trust.impersonation and not parent.impersonation:
        raise Forbidden("Impersonation is not allowed because redelegated trust does not "
                        f"specify impersonation. Redelegated trust id: {parent.id}")


def create_trust(s: Session, caller_id: str, data: dict[str, Any],
                 redelegated: m.Trust | None = None) -> m.Trust:
    """A new trust from ``caller_id``; ``redelegated`` when the caller holds a trust token."""
    trustor_id = sch.string(data, "trustor_user_id", required=True, min_len=1, max_len=64)
    trustee_id = sch.string(data, "trustee_user_id", required=True, min_len=1, max_len=64)
    if "impersonation" not in data:
        raise BadRequest("'impersonation' is a required property")
    impersonation = sch.boolean(data, "impersonation")
    project_id = sch.string(data, "project_id", nullable=True, max_len=64) or None
    remaining_uses = sch.integer(data, "remaining_uses", minimum=1)
    requested_count = sch.integer(data, "redelegation_count", minimum=0)
    allow_redelegation = data.get("allow_redelegation")
    if allow_redelegation is not None and not isinstance(allow_redelegation, bool):
        raise BadRequest("Invalid input for field 'allow_redelegation': "
                         f"{allow_redelegation!r} is not of type 'boolean'")
    refs = role_refs(data)
    expires_at = parse_expiry(data.get("expires_at"))
    if project_id and not refs:
        raise Forbidden("You are not authorized to perform the requested action: At least "
                        "one role should be specified.")
    if caller_id != trustor_id:
        raise Forbidden("You are not authorized to perform the requested action: The "
                        "authenticated user should match the trustor.")
    if s.get(m.User, trustee_id) is None:
        raise NotFound(f"Could not find user: {trustee_id}.")
    roles = [role_by_ref(s, ref) for ref in refs]
    chain_root = pedigree(s, redelegated)[-1] if redelegated else None
    if project_id:
        get_project(s, project_id)
        # Redelegated roles must still be held by whoever started the chain.
        origin_user = chain_root.trustor_user_id if chain_root else trustor_id
        origin_project = (chain_root.project_id if chain_root else None) or project_id
        held = held_role_ids(s, origin_user, origin_project)
    else:
        held = set()
    for role in roles:
        if role.id not in held:
            raise NotFound(f"Could not find role: {role.id}.")
    trust = m.Trust(
        id=random_id(), trustor_user_id=trustor_id, trustee_user_id=trustee_id,
        project_id=project_id, impersonation=bool(impersonation), expires_at=expires_at,
        remaining_uses=remaining_uses,
        roles=[{"id": r.id, "name": r.name} for r in dict.fromkeys(roles)],
        extra=sch.extra(data, TRUST_FIELDS),
    )
    redelegatable = bool(allow_redelegation) and requested_count != 0
    if not redelegatable:
        trust.redelegation_count = 0
    else:
        if requested_count is not None and requested_count > MAX_REDELEGATION_COUNT:
            raise Forbidden(f"Requested redelegation depth of {requested_count} is greater "
                            f"than allowed {MAX_REDELEGATION_COUNT}")
        if remaining_uses is not None:
            raise BadRequest("remaining_uses must not be set if redelegation is allowed")
        trust.redelegation_count = requested_count
    if redelegated is not None:
        remaining = (redelegated.redelegation_count or 0) - 1
        if redelegatable and requested_count and requested_count != remaining:
            raise Forbidden('Modifying "redelegation_count" upon redelegation is forbidden. '
                            "Omitting this parameter is advised.")
        trust.redelegated_trust_id = redelegated.id
        if trust.redelegation_count is None:
            trust.redelegation_count = remaining
        role_ids = {r.id for r in roles}
        for ancestor in pedigree(s, redelegated):
            _check_redelegation(ancestor, trust, role_ids)
    if trust.redelegation_count is None:
        trust.redelegation_count = MAX_REDELEGATION_COUNT
    s.add(trust)
    s.flush()
    return trust


def list_trusts(s: Session, trustor_id: str | None = None,
                trustee_id: str | None = None) -> list[m.Trust]:
    q = select(m.Trust).where(m.Trust.deleted_at.is_(None))
    if trustor_id is not None:
        q = q.where(m.Trust.trustor_user_id == trustor_id)
    if trustee_id is not None:
        q = q.where(m.Trust.trustee_user_id == trustee_id)
    return list(s.scalars(q.order_by(m.Trust.id)))


def delete_trust(s: Session, trust: m.Trust, token_lifetime: int) -> None:
    """Delete the trust and every trust redelegated from it; revoke their tokens."""
    now = utcnow()
    pending = [trust]
    while pending:
        current = pending.pop()
        if current.deleted_at is None:
            current.deleted_at = now
            revocations.revoke_trust(s, current.id, token_lifetime)
        pending.extend(s.scalars(select(m.Trust).where(
            m.Trust.redelegated_trust_id == current.id, m.Trust.deleted_at.is_(None))))
    s.flush()


def forget_user(s: Session, user_id: str, token_lifetime: int) -> None:
    """A deleted user's trusts, as trustor or trustee, go with them."""
    for trust in s.scalars(select(m.Trust).where(
            or_(m.Trust.trustor_user_id == user_id, m.Trust.trustee_user_id == user_id),
            m.Trust.deleted_at.is_(None))):
        delete_trust(s, trust, token_lifetime)


# --- trust-scoped tokens --------------------------------------------------------------------


def delegated_roles(s: Session, trust: m.Trust) -> list[m.Role]:
    """The roles a token scoped to ``trust`` carries (the trust's and those they imply).

    Raises Forbidden when the original trustor no longer holds all of them.
    """
    if not trust.project_id:
        return []
    trustor_id = pedigree(s, trust)[-1].trustor_user_id
    wanted = assignments.implied_closure(s, {r["id"] for r in trust.roles})
    held = held_role_ids(s, trustor_id, trust.project_id)
    if not wanted or not wanted <= held:
        raise Forbidden("Trustee has no delegated roles.")
    roles = s.scalars(select(m.Role).where(m.Role.id.in_(wanted), m.Role.domain_id.is_(None)))
    return sorted(roles, key=lambda r: r.name)


def _user_usable(s: Session, user_id: str) -> bool:
    user = s.get(m.User, user_id)
    if user is None or not user.enabled:
        return False
    domain = s.get(m.Project, user.domain_id)
    return domain is not None and domain.enabled


def parties_usable(s: Session, trust: m.Trust) -> bool:
    """Every trustor and trustee along the chain still exists and is enabled."""
    return all(_user_usable(s, t.trustor_user_id) and _user_usable(s, t.trustee_user_id)
               for t in pedigree(s, trust))


def authorize(s: Session, trust_id: Any, user_id: str) -> m.Trust:
    """The trust ``user_id`` asks a token for, once they may have one."""
    if not isinstance(trust_id, str) or not trust_id:
        raise BadRequest("Expecting to find id in OS-TRUST:trust.")
    trust = get_trust(s, trust_id)
    if user_id != trust.trustee_user_id:
        raise Forbidden("User is not a trustee.")
    if not parties_usable(s, trust):
        raise Forbidden("Trustor is disabled.")
    delegated_roles(s, trust)
    return trust


def consume_use(s: Session, trust_id: str) -> None:
    """Take one of the trust's limited uses; refused once none are left."""
    res = s.execute(
        update(m.Trust)
        .where(m.Trust.id == trust_id, m.Trust.remaining_uses > 0)
        .values(remaining_uses=m.Trust.remaining_uses - 1)
    )
    if not res.rowcount:  # type: ignore[attr-defined]
        raise Forbidden(f"No remaining uses for trust: {trust_id}.")


def token_section(trust: m.Trust) -> dict[str, Any]:
    """The token body's "OS-TRUST:trust"."""
    return {
        "id": trust.id,
        "impersonation": trust.impersonation,
        "trustee_user": {"id": trust.trustee_user_id},
        "trustor_user": {"id": trust.trustor_user_id},
    }
