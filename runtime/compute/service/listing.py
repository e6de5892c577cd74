"""Server lists: Nova's filters, sort keys and limit/marker paging, done in SQL."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from runtime.common.context import Context
from runtime.common.errors import BadRequest
from runtime.compute import models as m
from runtime.compute import states

SORT_KEYS = {"created_at": m.Server.created_at, "updated_at": m.Server.updated_at,
             "display_name": m.Server.name, "name": m.Server.name,
             "uuid": m.Server.id, "vm_state": m.Server.vm_state,
             "task_state": m.Server.task_state, "power_state": m.Server.power_state,
             "host": m.Server.host, "node": m.Server.node,
             "availability_zone": m.Server.availability_zone,
             "image_ref": m.Server.image_ref, "instance_type_id": m.Server.flavor_id,
             "key_name": m.Server.key_name, "launched_at": m.Server.launched_at,
             "locked": m.Server.locked, "hostname": m.Server.hostname,
             "project_id": m.Server.project_id, "user_id": m.Server.user_id}
ADMIN_SORT_KEYS = {"host", "node"}


def _status_filter(value: str) -> object:
    pairs = states.statuses_for(value.upper())
    if not pairs:
        # Nova answers an unknown status with an empty list for admins and users alike.
        return False
    clauses = []
    for vm, task in pairs:
        if task is None:
            clauses.append(m.Server.vm_state == vm.value)
        else:
            clauses.append(and_(m.Server.vm_state == vm.value, m.Server.task_state == task))
    return or_(*clauses)


def _tags(stmt: Select[m.Server], query: Mapping[str, str]) -> Select[m.Server]:
    def tag_list(key: str) -> list[str]:
        return [t for t in query.get(key, "").split(",") if t]

    for tag in tag_list("tags"):
        stmt = stmt.where(m.Server.id.in_(select(m.ServerTag.server_id)
                                          .where(m.ServerTag.tag == tag)))
    if anyt := tag_list("tags-any"):
        stmt = stmt.where(m.Server.id.in_(select(m.ServerTag.server_id)
                                          .where(m.ServerTag.tag.in_(anyt))))
    if nott := tag_list("not-tags"):
        having_all = (select(m.ServerTag.server_id).where(m.ServerTag.tag.in_(nott))
                      .group_by(m.ServerTag.server_id)
                      .having(func.count(m.ServerTag.tag) == len(set(nott))))
        stmt = stmt.where(m.Server.id.not_in(having_all))
    if notany := tag_list("not-tags-any"):
        stmt = stmt.where(m.Server.id.not_in(select(m.ServerTag.server_id)
                                             .where(m.ServerTag.tag.in_(notany))))
    return stmt


def _since(raw: str, key: str) -> datetime:
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise BadRequest(f"Invalid filter field: {key}.") from None


def query(ctx: Context, params: Mapping[str, str], all_projects: bool) -> Select[m.Server]:
    stmt = select(m.Server)
    admin = ctx.is_admin
    project = params.get("project_id") or params.get("tenant_id")
    if not (all_projects and admin):
        stmt = stmt.where(m.Server.project_id == (ctx.project_id or ""))
    elif project:
        stmt = stmt.where(m.Server.project_id == project)
    if status := params.get("status"):
        stmt = stmt.where(_status_filter(status))  # type: ignore[arg-type]
    if image := params.get("image"):
        stmt = stmt.where(m.Server.image_ref == image.rstrip("/").rsplit("/", 1)[-1])
    if flavor := params.get("flavor"):
        stmt = stmt.where(m.Server.flavor_id == flavor.rstrip("/").rsplit("/", 1)[-1])
    if admin and (host := params.get("host")):
        stmt = stmt.where(m.Server.host == host)
    if admin and (node := params.get("node")):
        stmt = stmt.where(m.Server.node == node)
    for key, column in (("availability_zone", m.Server.availability_zone),
                        ("key_name", m.Server.key_name), ("user_id", m.Server.user_id),
                        ("reservation_id", m.Server.reservation_id),
                        ("vm_state", m.Server.vm_state), ("task_state", m.Server.task_state),
                        ("uuid", m.Server.id), ("hostname", m.Server.hostname)):
        if params.get(key):
            stmt = stmt.where(column == params[key])
    if "locked" in params:
        raw = params["locked"].lower()
        if raw not in ("true", "false", "1", "0", "yes", "no"):
            raise BadRequest(f"Unrecognized value '{params['locked']}'")
        stmt = stmt.where(m.Server.locked.is_(raw in ("true", "1", "yes")))
    if "changes-since" in params:
        stmt = stmt.where(m.Server.updated_at >= _since(params["changes-since"],
                                                        "changes-since"))
    if "changes-before" in params:
        stmt = stmt.where(m.Server.updated_at <= _since(params["changes-before"],
                                                        "changes-before"))
    if params.get("deleted", "").lower() in ("true", "1", "yes"):
        # Deleted servers are gone here (their rows are removed once destroyed).
        stmt = stmt.where(False)  # type: ignore[arg-type]
    return _tags(stmt, params)


def matches_name(pattern: str | None, name: str) -> bool:
    if not pattern:
        return True
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return pattern in name


# The fixed IP addresses of each of the given servers (from the network service).
AddressLookup = Callable[[Sequence[str]], dict[str, list[str]]]


def _has_address(pattern: str, family: int, addresses: list[str]) -> bool:
    """Nova's ``ip`` / ``ip6`` filters: a regular expression on the fixed IPs."""
    wanted = [a for a in addresses if (":" in a) == (family == 6)]
    return any(matches_name(pattern, a) for a in wanted)


def listing(s: Session, ctx: Context, params: Mapping[str, str], all_projects: bool,
            addresses: AddressLookup | None = None) -> list[m.Server]:
    """Matching servers in the order asked for (newest first by default). Names and
    addresses match as regular expressions, as in Nova, which SQL cannot do: they are
    checked here."""
    stmt = query(ctx, params, all_projects)
    keys = [k for k in params.get("sort_key", "").split(",") if k] or ["created_at"]
    dirs = [d for d in params.get("sort_dir", "").split(",") if d]
    order: list[Any] = []
    for i, key in enumerate(keys):
        if key not in SORT_KEYS or (key in ADMIN_SORT_KEYS and not ctx.is_admin):
            raise BadRequest(f"Invalid sort_key {key}")
        direction = dirs[i] if i < len(dirs) else (dirs[-1] if dirs else "desc")
        if direction not in ("asc", "desc"):
            raise BadRequest(f"Invalid sort_dir {direction}")
        column = SORT_KEYS[key]
        order.append(column.asc() if direction == "asc" else column.desc())
    order.append(m.Server.id.desc())
    rows = [r for r in s.scalars(stmt.order_by(*order))
            if matches_name(params.get("name"), r.name)]
    filters = [(params[k], family) for k, family in (("ip", 4), ("ip6", 6)) if params.get(k)]
    if filters:
        found = addresses([r.id for r in rows]) if addresses is not None else {}
        rows = [r for r in rows if all(_has_address(p, f, found.get(r.id, []))
                                       for p, f in filters)]
    return rows
