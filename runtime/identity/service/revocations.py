"""Revocation events: which tokens stop being valid before they expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from runtime.common.db import utcnow
from runtime.identity import models as m
from runtime.identity.tokens import TokenPayload


def _event(s: Session, expires_in: int, **fields: str | None) -> None:
    now = utcnow()
    s.add(m.RevocationEvent(issued_before=now, revoked_at=now,
                            expires_at=now + timedelta(seconds=expires_in), **fields))


def revoke_token(s: Session, payload: TokenPayload) -> None:
    now = utcnow()
    s.add(m.RevocationEvent(audit_id=payload.audit_id, issued_before=now, revoked_at=now,
                            expires_at=datetime.fromtimestamp(payload.expires_at, UTC)))


def revoke_user(s: Session, user_id: str, token_lifetime: int) -> None:
    """Every token the user holds now, as when they are disabled or change password."""
    _event(s, token_lifetime, user_id=user_id)


def revoke_trust(s: Session, trust_id: str, token_lifetime: int) -> None:
    _event(s, token_lifetime, trust_id=trust_id)


def is_revoked(s: Session, p: TokenPayload) -> bool:
    issued = datetime.fromtimestamp(p.issued_at, UTC)
    conds = [m.RevocationEvent.audit_id.in_(p.audit_ids[:1]),
             m.RevocationEvent.audit_chain_id == p.audit_chain_id,
             m.RevocationEvent.user_id == p.user_id]
    if p.trust_id:
        conds.append(m.RevocationEvent.trust_id == p.trust_id)
    if p.project_id:
        conds.append(m.RevocationEvent.project_id == p.project_id)
    q = select(m.RevocationEvent.id).where(
        or_(*conds), m.RevocationEvent.issued_before >= issued
    ).limit(1)
    return s.scalar(q) is not None


def prune(s: Session) -> int:
    res = s.execute(delete(m.RevocationEvent).where(m.RevocationEvent.expires_at < utcnow()))
    return int(res.rowcount)  # type: ignore[attr-defined]
