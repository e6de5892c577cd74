"""Groups and their members."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from runtime.common.errors import BadRequest, Conflict, NotFound
from runtime.identity import models as m
from runtime.identity import schemas as sch
from runtime.identity.service import assignments
from runtime.identity.service.projects import get_domain
from runtime.identity.service.users import (
    check_matching_id,
    get_user,
    id_string,
    identity_name,
    require_some,
)
from runtime.identity.tokens import random_id

GROUP_FIELDS = ("name", "domain_id", "description")
# The group table's name column, narrower than Keystone's schema (255), like Keystone's.
NAME_MAX = 64


def get_group(s: Session, group_id: str) -> m.Group:
    group = s.get(m.Group, group_id)
    if group is None:
        raise NotFound(f"Could not find group: {group_id}.")
    return group


def _check_unique(s: Session, name: str, domain_id: str, exclude: str | None = None) -> None:
    found = s.scalar(select(m.Group.id).where(m.Group.domain_id == domain_id,
                                              m.Group.name == name))
    if found is not None and found != exclude:
        raise Conflict(f"Conflict occurred attempting to store group - Duplicate entry found "
                       f"with name {name} at domain ID {domain_id}.")


def create_group(s: Session, data: dict[str, Any], default_domain_id: str) -> m.Group:
    name = identity_name(data, NAME_MAX)
    domain_id = id_string(data, "domain_id") or default_domain_id
    description = sch.string(data, "description", max_len=65535, nullable=True)
    get_domain(s, domain_id)
    _check_unique(s, name, domain_id)
    group = m.Group(id=random_id(), name=name, domain_id=domain_id, description=description,
                    extra=sch.extra(data, GROUP_FIELDS))
    s.add(group)
    s.flush()
    return group


def update_group(s: Session, group: m.Group, data: dict[str, Any]) -> m.Group:
    require_some(data, "group")
    check_matching_id(data, group.id)
    if "domain_id" in data and data["domain_id"] != group.domain_id:
        raise BadRequest("Cannot change the domain of a group.")
    if "name" in data:
        name = identity_name(data, NAME_MAX)
        if name != group.name:
            _check_unique(s, name, group.domain_id, exclude=group.id)
        group.name = name
    if "description" in data:
        group.description = sch.string(data, "description", max_len=65535, nullable=True)
    extra = sch.extra(data, GROUP_FIELDS)
    if extra:
        group.extra = {**group.extra, **extra}
    s.flush()
    return group


def delete_group(s: Session, group: m.Group) -> None:
    """The group, its grants and memberships. Members' tokens need no revocation: the
    roles of a token are computed when it is validated, and every write refreshes that."""
    assignments.forget_actor(s, group.id)
    s.execute(delete(m.Membership).where(m.Membership.group_id == group.id))
    s.delete(group)
    s.flush()


def members(s: Session, group_id: str) -> list[m.User]:
    return list(s.scalars(
        select(m.User).join(m.Membership, m.Membership.user_id == m.User.id)
        .where(m.Membership.group_id == group_id).order_by(m.User.name)
    ))


def groups_of(s: Session, user_id: str) -> list[m.Group]:
    return list(s.scalars(
        select(m.Group).join(m.Membership, m.Membership.group_id == m.Group.id)
        .where(m.Membership.user_id == user_id).order_by(m.Group.name)
    ))


def add_member(s: Session, group_id: str, user_id: str) -> None:
    get_group(s, group_id)
    get_user(s, user_id)
    if s.get(m.Membership, (user_id, group_id)) is None:
        s.add(m.Membership(user_id=user_id, group_id=group_id))
        s.flush()


def _membership(s: Session, group_id: str, user_id: str) -> m.Membership:
    get_group(s, group_id)
    get_user(s, user_id)
    row = s.get(m.Membership, (user_id, group_id))
    if row is None:
        raise NotFound(f"Could not find user {user_id} in group {group_id}.")
    return row


def check_member(s: Session, group_id: str, user_id: str) -> None:
    _membership(s, group_id, user_id)


def remove_member(s: Session, group_id: str, user_id: str) -> None:
    s.delete(_membership(s, group_id, user_id))
    s.flush()
