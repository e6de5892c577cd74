"""Tags on networks, subnets, ports, routers, floating IPs, security groups and subnet
pools (``standard-attr-tag``); changing them moves the resource's revision."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from runtime.network import models as m
from runtime.network.errors import BadRequest, NotFound
from runtime.network.service.core import Standard, bump

MAX_TAG_LENGTH = 255


def check(tag: Any) -> str:
    if not isinstance(tag, str) or not tag or len(tag) > MAX_TAG_LENGTH or "," in tag:
        raise BadRequest(f"Invalid input for tags. Reason: '{tag}' is not a valid tag.")
    return tag


def listing(s: Session, resource_id: str) -> list[str]:
    return sorted(s.scalars(select(m.Tag.tag).where(m.Tag.resource_id == resource_id)))


def replace(s: Session, row: Standard, tags: Any) -> list[str]:
    if not isinstance(tags, list):
        raise BadRequest("Invalid input for tags. Reason: a list is expected.")
    wanted = sorted({check(t) for t in tags})
    s.execute(delete(m.Tag).where(m.Tag.resource_id == row.id))
    s.add_all(m.Tag(resource_id=row.id, tag=t) for t in wanted)
    bump(row)
    return wanted


def add(s: Session, row: Standard, tag: str) -> None:
    if s.get(m.Tag, (row.id, check(tag))) is None:
        s.add(m.Tag(resource_id=row.id, tag=tag))
        bump(row)


def remove(s: Session, row: Standard, tag: str) -> None:
    found = s.get(m.Tag, (row.id, tag))
    if found is None:
        raise NotFound(f"Tag {tag} could not be found.", type="TagNotFound")
    s.delete(found)
    bump(row)


def clear(s: Session, row: Standard) -> None:
    s.execute(delete(m.Tag).where(m.Tag.resource_id == row.id))
    bump(row)
