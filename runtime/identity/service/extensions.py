"""The smaller Keystone extensions: OS-POLICY blobs and OS-OAUTH1 consumers."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.orm import Session

from runtime.common.errors import BadRequest, NotFound
from runtime.identity import models as m
from runtime.identity import schemas as sch
from runtime.identity.service.endpoints import not_empty, same_id
from runtime.identity.tokens import random_id

POLICY_FIELDS = ("type", "blob")
CONSUMER_FIELDS = ("description", "secret")


# --- OS-POLICY --------------------------------------------------------------------------


def get_policy(s: Session, policy_id: str) -> m.Policy:
    p = s.get(m.Policy, policy_id)
    if p is None:
        raise NotFound(f"Could not find policy: {policy_id}.")
    return p


def create_policy(s: Session, data: dict[str, Any]) -> m.Policy:
    p = m.Policy(
        id=random_id(),
        blob=sch.string(data, "blob", required=True, max_len=2**31),
        type=sch.string(data, "type", required=True),
        extra=sch.extra(data, POLICY_FIELDS),
    )
    s.add(p)
    s.flush()
    return p


def update_policy(s: Session, p: m.Policy, data: dict[str, Any]) -> m.Policy:
    not_empty(data, "policy")
    same_id(data, p.id)
    if "blob" in data:
        p.blob = sch.string(data, "blob", required=True, max_len=2**31) or ""
    if "type" in data:
        p.type = sch.string(data, "type", required=True) or ""
    p.extra = {**p.extra, **sch.extra(data, POLICY_FIELDS)}
    s.flush()
    return p


# --- OS-OAUTH1 consumers ----------------------------------------------------------------


def get_consumer(s: Session, consumer_id: str) -> m.Consumer:
    c = s.get(m.Consumer, consumer_id)
    if c is None:
        raise NotFound("Consumer not found")
    return c


def create_consumer(s: Session, data: dict[str, Any]) -> m.Consumer:
    c = m.Consumer(
        id=random_id(),
        description=sch.string(data, "description", nullable=True),
        # Handed to the caller once, in the create response; OAuth1 signs with it.
        secret=secrets.token_hex(16),
        extra=sch.extra(data, CONSUMER_FIELDS),
    )
    s.add(c)
    s.flush()
    return c


def update_consumer(s: Session, c: m.Consumer, data: dict[str, Any]) -> m.Consumer:
    not_empty(data, "consumer")
    if "secret" in data:
        raise BadRequest("Invalid input for field 'consumer': the secret cannot be changed")
    same_id(data, c.id)
    if "description" in data:
        c.description = sch.string(data, "description", nullable=True)
    c.extra = {**c.extra, **sch.extra(data, CONSUMER_FIELDS)}
    s.flush()
    return c
