"""Server groups: (anti-)affinity policies the scheduler honours for their members."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.common.config import ComputeQuotaSettings
from runtime.common.context import Context
from runtime.common.errors import BadRequest, Forbidden, NotFound
from runtime.compute import models as m
from runtime.compute.service import quotas

POLICIES = ("affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity")


def get(s: Session, ctx: Context, group_id: str) -> m.ServerGroup:
    group = s.get(m.ServerGroup, group_id)
    if group is None or (not ctx.is_admin and group.project_id != ctx.project_id):
        raise NotFound(f"Instance group {group_id} could not be found.")
    return group


def members(s: Session, group_id: str) -> list[str]:
    return list(s.scalars(select(m.ServerGroupMember.server_id)
                          .where(m.ServerGroupMember.group_id == group_id)
                          .order_by(m.ServerGroupMember.server_id)))


def groups_of(s: Session, server_id: str) -> list[str]:
    return list(s.scalars(select(m.ServerGroupMember.group_id)
                          .where(m.ServerGroupMember.server_id == server_id)))


def create(s: Session, ctx: Context, name: str, policy: str, rules: dict[str, Any],
           quota: ComputeQuotaSettings) -> m.ServerGroup:
    if policy not in POLICIES:
        raise BadRequest(f"Invalid input for field/attribute policy. Value: {policy}. "
                         f"'{policy}' is not one of {list(POLICIES)}")
    if rules and policy != "anti-affinity":
        raise BadRequest("Only anti-affinity policy supports rules.")
    limit = quotas.limits(s, quota, ctx.project_id or "", ctx.user_id)["server_groups"]
    if 0 <= limit <= quotas.usage(s, ctx.project_id or "").server_groups:
        raise Forbidden("Quota exceeded, too many server groups.")
    group = m.ServerGroup(id=str(uuid.uuid4()), name=name, project_id=ctx.project_id or "",
                          user_id=ctx.user_id or "", policy=policy, rules=rules)
    s.add(group)
    s.flush()
    return group


def listing(s: Session, ctx: Context, all_projects: bool) -> list[m.ServerGroup]:
    stmt = select(m.ServerGroup).order_by(m.ServerGroup.created_at, m.ServerGroup.id)
    if not (all_projects and ctx.is_admin):
        stmt = stmt.where(m.ServerGroup.project_id == (ctx.project_id or ""))
    return list(s.scalars(stmt))


def scheduling_hints(s: Session, group: m.ServerGroup | None,
                     hosts: Sequence[Any]) -> dict[str, Any]:
    """The scheduler.Request fields for a new member of ``group``."""
    if group is None:
        return {}
    member_ids = set(members(s, group.id))
    counts: dict[str, int] = {}
    for h in hosts:
        n = len(member_ids & set(h.servers))
        if n:
            counts[h.host] = n
    rules = group.rules or {}
    return {"group_policy": group.policy, "group_hosts": frozenset(counts),
            "group_host_counts": counts,
            "max_server_per_host": rules.get("max_server_per_host")}
