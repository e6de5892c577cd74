"""GET /v2/images: who sees what, Glance's filters, sort keys and marker pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from runtime.common.context import Context
from runtime.common.errors import BadRequest
from runtime.common.pagination import Page, paginate
from runtime.image import models as m
from runtime.image.service.core import Images

SORT_KEYS = ("name", "status", "container_format", "disk_format", "size", "id",
             "created_at", "updated_at", "visibility", "owner", "min_disk", "min_ram",
             "virtual_size", "os_hidden", "protected")
# Query keys that are not property filters.
RESERVED_KEYS = frozenset({"limit", "marker", "sort", "sort_key", "sort_dir", "visibility",
                           "member_status", "tag", "os_hidden", "size_min", "size_max",
                           "created_at", "updated_at"})
_IN_COLUMNS = ("id", "name", "status", "disk_format", "container_format", "owner")
_EQ_COLUMNS = (*_IN_COLUMNS, "checksum", "os_hash_value", "size", "min_disk", "min_ram",
               "protected", "virtual_size")
_INT_COLUMNS = frozenset({"size", "min_disk", "min_ram", "virtual_size"})


@dataclass(frozen=True)
class Listing:
    images: list[m.Image]
    next_marker: str | None


def _bool_param(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off"):
        return False
    raise BadRequest(f"Invalid value for {name}: {raw!r} is not a boolean.")


def _int_param(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f"Invalid value for {name}: {raw!r} is not an integer.") from None


def sort_order(params: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    keys = [v for k, v in params if k == "sort_key"]
    dirs = [v for k, v in params if k == "sort_dir"]
    sort = [v for k, v in params if k == "sort"]
    if sort and (keys or dirs):
        raise BadRequest("The 'sort' parameter cannot be combined with sort_key or sort_dir.")
    order: list[tuple[str, str]] = []
    if sort:
        for item in ",".join(sort).split(","):
            key, _, direction = item.strip().partition(":")
            order.append((key.strip(), direction.strip() or "desc"))
    else:
        keys = [k.strip() for raw in keys for k in raw.split(",")]
        if dirs and len(dirs) not in (1, len(keys)):
            raise BadRequest("The number of sort_dir values must be one or match sort_key.")
        for i, key in enumerate(keys):
            direction = dirs[i] if len(dirs) == len(keys) else (dirs[0] if dirs else "desc")
            order.append((key, direction))
        if not keys and dirs:
            order.append(("created_at", dirs[0]))
    for key, direction in order:
        if key not in SORT_KEYS:
            raise BadRequest(f"Invalid sort key: {key}. It must be one of: "
                             f"{', '.join(SORT_KEYS)}.")
        if direction not in ("asc", "desc"):
            raise BadRequest(f"Invalid sort direction: {direction}.")
    for key in ("created_at", "id"):
        if key not in {k for k, _ in order}:
            order.append((key, "desc"))
    return order


def _visibility(ctx: Context, params: dict[str, str]) -> ColumnElement[bool] | None:
    visibility = params.get("visibility")
    status = params.get("member_status", "accepted")
    if status not in ("pending", "accepted", "rejected", "all"):
        raise BadRequest(f"Invalid member_status: {status}")
    if visibility not in (None, "public", "private", "shared", "community", "all"):
        raise BadRequest(f"Invalid visibility value: {visibility}")
    member = select(m.ImageMember.image_id).where(m.ImageMember.member == ctx.project_id)
    if status != "all":
        member = member.where(m.ImageMember.status == status)
    shared_with_me = and_(m.Image.visibility == "shared", m.Image.id.in_(member))
    mine = m.Image.owner == ctx.project_id
    if visibility in ("public", "community"):
        return m.Image.visibility == visibility
    if visibility == "private":
        return and_(m.Image.visibility == "private", *([] if ctx.is_admin else [mine]))
    if visibility == "shared":
        if "member_status" in params:
            return shared_with_me
        return and_(m.Image.visibility == "shared", or_(mine, m.Image.id.in_(member)))
    if ctx.is_admin:
        return None  # admins see every image unless they filter
    if visibility == "all":
        return or_(mine, m.Image.visibility.in_(("public", "community")), shared_with_me)
    return or_(mine, m.Image.visibility == "public", shared_with_me)


def _time_filter(column: Any, raw: str) -> ColumnElement[bool]:
    op, _, value = raw.partition(":")
    if not value:
        op, value = "eq", raw
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"Invalid timestamp {value!r}.") from None
    ops = {"gt": column > when, "gte": column >= when, "lt": column < when,
           "lte": column <= when, "eq": column == when, "neq": column != when}
    if op not in ops:
        raise BadRequest(f"Invalid time comparison operator {op!r}.")
    return ops[op]


def _column_filters(params: dict[str, str]) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    for key in _EQ_COLUMNS:
        raw = params.get(key)
        if raw is None:
            continue
        column = getattr(m.Image, key)
        if raw.startswith("in:") and key in _IN_COLUMNS:
            where.append(column.in_([v.strip() for v in raw[3:].split(",")]))
        elif key in _INT_COLUMNS:
            where.append(column == _int_param(key, raw))
        elif key == "protected":
            where.append(column.is_(_bool_param(key, raw)))
        else:
            where.append(column == raw)
    if "size_min" in params:
        where.append(m.Image.size >= _int_param("size_min", params["size_min"]))
    if "size_max" in params:
        where.append(m.Image.size <= _int_param("size_max", params["size_max"]))
    for key in ("created_at", "updated_at"):
        if key in params:
            where.append(_time_filter(getattr(m.Image, key), params[key]))
    hidden = _bool_param("os_hidden", params.get("os_hidden", "false"))
    where.append(m.Image.os_hidden.is_(hidden))
    return where


def list_images(svc: Images, s: Session, ctx: Context,
                items: Sequence[tuple[str, str]]) -> Listing:
    params = dict(items)
    page = Page(limit=min(_limit(svc, params), svc.settings.list_max_limit),
                marker=params.get("marker") or None)
    stmt = select(m.Image)
    seen = _visibility(ctx, params)
    if seen is not None:
        stmt = stmt.where(seen)
    stmt = stmt.where(*_column_filters(params))
    for tag in [v for k, v in items if k == "tag"]:
        stmt = stmt.where(m.Image.id.in_(
            select(m.ImageTag.image_id).where(m.ImageTag.value == tag)))
    for key, direction in sort_order(items):
        column = getattr(m.Image, key)
        stmt = stmt.order_by(column.asc() if direction == "asc" else column.desc())
    props = {k: v for k, v in params.items() if k not in RESERVED_KEYS and k not in _EQ_COLUMNS}
    images = [i for i in s.scalars(stmt)
              if all(i.properties.get(k) == v for k, v in props.items())]
    chunk, next_marker = paginate(images, page, key=lambda i: i.id)
    return Listing(chunk, next_marker)


def _limit(svc: Images, params: dict[str, str]) -> int:
    raw = params.get("limit")
    if raw is None:
        return svc.settings.list_default_limit
    value = _int_param("limit", raw)
    if value < 0:
        raise BadRequest("limit param must be positive")
    return value
