"""Flavors, their extra specs and private-flavor access."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from runtime.common.context import Context
from runtime.common.db import utcnow
from runtime.common.errors import BadRequest, Conflict, NotFound
from runtime.compute import models as m

_ID = re.compile(r"^(?! )[a-zA-Z0-9. _-]+(?<! )$")
_SPEC_KEY = re.compile(r"^[\w.: -]+$")


@dataclass(frozen=True)
class FlavorSpec:
    name: str
    memory_mb: int
    vcpus: int
    root_gb: int
    id: str | None = None
    ephemeral_gb: int = 0
    swap: int = 0
    rxtx_factor: float = 1.0
    is_public: bool = True
    description: str | None = None


# Created by `haneul bootstrap` when compute is enabled: devstack's m1 sizes, and the
# two small ones Tempest configurations use.
DEFAULT_FLAVORS: tuple[FlavorSpec, ...] = (
    FlavorSpec("m1.tiny", 512, 1, 1, id="1"),
    FlavorSpec("m1.small", 2048, 1, 20, id="2"),
    FlavorSpec("m1.medium", 4096, 2, 40, id="3"),
    FlavorSpec("m1.large", 8192, 4, 80, id="4"),
    FlavorSpec("m1.xlarge", 16384, 8, 160, id="5"),
    FlavorSpec("m1.nano", 128, 1, 1, id="42"),
    FlavorSpec("m1.micro", 192, 1, 1, id="84"),
)


def ensure_default_flavors(s: Session) -> list[str]:
    """Create the default flavors that are missing (by id or name); their names."""
    made = []
    for spec in DEFAULT_FLAVORS:
        taken = s.get(m.Flavor, spec.id) or s.scalar(
            select(m.Flavor).where(m.Flavor.name == spec.name))
        if taken is None:
            create(s, spec)
            made.append(spec.name)
    return made


def create(s: Session, spec: FlavorSpec) -> m.Flavor:
    flavor_id = spec.id if spec.id not in (None, "auto") else str(uuid.uuid4())
    assert flavor_id is not None
    if not _ID.match(flavor_id) or len(flavor_id) > 255:
        raise BadRequest(f"Invalid input for field/attribute id. Value: {flavor_id}. "
                         "It must contain only letters, digits, '.', '_', '-' or spaces "
                         "inside.")
    if s.get(m.Flavor, flavor_id) is not None:
        raise Conflict(f"Flavor with ID {flavor_id} already exists.")
    if s.scalar(select(m.Flavor).where(m.Flavor.name == spec.name)) is not None:
        raise Conflict(f"Flavor with name {spec.name} already exists.")
    flavor = m.Flavor(id=flavor_id, name=spec.name, memory_mb=spec.memory_mb,
                      vcpus=spec.vcpus, root_gb=spec.root_gb, ephemeral_gb=spec.ephemeral_gb,
                      swap=spec.swap, rxtx_factor=spec.rxtx_factor, is_public=spec.is_public,
                      description=spec.description, disabled=False)
    s.add(flavor)
    s.flush()
    return flavor


def accessible(s: Session, ctx: Context, flavor: m.Flavor) -> bool:
    if flavor.is_public or ctx.is_admin:
        return True
    return s.get(m.FlavorAccess, (flavor.id, ctx.project_id or "")) is not None


def get(s: Session, ctx: Context, flavor_id: str) -> m.Flavor:
    flavor = s.get(m.Flavor, flavor_id)
    if flavor is None or not accessible(s, ctx, flavor):
        raise NotFound(f"Flavor {flavor_id} could not be found.")
    return flavor


def _bool(raw: str) -> bool | None:
    """Nova's is_public filter: true/false, or None (both) for 'none'."""
    text = raw.strip().lower()
    if text in ("none",):
        return None
    if text in ("1", "t", "true", "on", "y", "yes"):
        return True
    if text in ("0", "f", "false", "off", "n", "no"):
        return False
    raise BadRequest(f"Invalid is_public filter [{raw}]")


def _int(query: Mapping[str, str], key: str) -> int | None:
    raw = query.get(key)
    if raw is None:
        return None
    if not raw.isdigit():
        raise BadRequest(f"Invalid {key} filter [{raw}]")
    return int(raw)


SORT_KEYS = {"created_at", "description", "disabled", "ephemeral_gb", "flavorid", "id",
             "is_public", "memory_mb", "name", "root_gb", "rxtx_factor", "swap", "vcpus"}


def listing(s: Session, ctx: Context, query: Mapping[str, str]) -> list[m.Flavor]:
    """Flavors the caller may see, filtered and sorted as Nova's list takes them."""
    stmt = select(m.Flavor).where(m.Flavor.disabled.is_(False))
    # Only admins choose: others always see public flavors plus their project's private
    # ones. With is_public true, Nova adds the caller's private flavors for admins too.
    public = _bool(query.get("is_public", "true")) if ctx.is_admin else True
    if public is not None:
        match: Any = m.Flavor.is_public.is_(public)
        if public and ctx.project_id is not None:
            shared = select(m.FlavorAccess.flavor_id).where(
                m.FlavorAccess.project_id == ctx.project_id)
            match = match | m.Flavor.id.in_(shared)
        stmt = stmt.where(match)
    if (min_ram := _int(query, "minRam")) is not None:
        stmt = stmt.where(m.Flavor.memory_mb >= min_ram)
    if (min_disk := _int(query, "minDisk")) is not None:
        stmt = stmt.where(m.Flavor.root_gb >= min_disk)
    key = query.get("sort_key", "flavorid")
    if key not in SORT_KEYS:
        raise BadRequest(f"Invalid sort_key {key}")
    direction = query.get("sort_dir", "asc")
    if direction not in ("asc", "desc"):
        raise BadRequest(f"Invalid sort_dir {direction}")
    column = getattr(m.Flavor, "id" if key in ("flavorid", "id") else key)
    order = column.asc() if direction == "asc" else column.desc()
    return list(s.scalars(stmt.order_by(order, m.Flavor.id.asc())))


def update_description(s: Session, flavor: m.Flavor, description: str | None) -> m.Flavor:
    flavor.description = description
    flavor.updated_at = utcnow()
    return flavor


def destroy(s: Session, flavor: m.Flavor) -> None:
    s.delete(flavor)


def extra_specs(s: Session, flavor_id: str) -> dict[str, str]:
    rows = s.scalars(select(m.FlavorExtraSpec).where(m.FlavorExtraSpec.flavor_id == flavor_id))
    return {r.key: r.value for r in rows}


def set_extra_specs(s: Session, flavor: m.Flavor, specs: Mapping[str, Any]) -> dict[str, str]:
    clean: dict[str, str] = {}
    for key, value in specs.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 255 or not _SPEC_KEY.match(key):
            raise BadRequest(f"Invalid input for field/attribute extra_specs. Value: {key}.")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise BadRequest(f"Invalid input for field/attribute {key}. Value: {value}.")
        text = str(value)
        if len(text) > 255:
            raise BadRequest(f"Invalid input for field/attribute {key}: too long.")
        clean[key] = text
    for key, text in clean.items():
        row = s.get(m.FlavorExtraSpec, (flavor.id, key))
        if row is None:
            s.add(m.FlavorExtraSpec(flavor_id=flavor.id, key=key, value=text))
        else:
            row.value = text
    s.flush()
    return clean


def delete_extra_spec(s: Session, flavor: m.Flavor, key: str) -> None:
    row = s.get(m.FlavorExtraSpec, (flavor.id, key))
    if row is None:
        raise NotFound(f"Flavor {flavor.id} has no extra specs with key {key}.")
    s.delete(row)


def access_list(s: Session, flavor: m.Flavor) -> list[str]:
    if flavor.is_public:
        raise NotFound("Access list not available for public flavors.")
    return list(s.scalars(select(m.FlavorAccess.project_id)
                          .where(m.FlavorAccess.flavor_id == flavor.id)
                          .order_by(m.FlavorAccess.project_id)))


def add_access(s: Session, flavor: m.Flavor, project_id: str) -> None:
    if flavor.is_public:
        raise Conflict("Can not add access to a public flavor.")
    if s.get(m.FlavorAccess, (flavor.id, project_id)) is not None:
        raise Conflict(f"Flavor access already exists for flavor {flavor.id} and project "
                       f"{project_id} combination.")
    s.add(m.FlavorAccess(flavor_id=flavor.id, project_id=project_id))
    s.flush()


def remove_access(s: Session, flavor: m.Flavor, project_id: str) -> None:
    row = s.get(m.FlavorAccess, (flavor.id, project_id))
    if row is None:
        raise NotFound(f"Flavor access not found for {flavor.id} / {project_id} combination.")
    s.delete(row)
    s.flush()


def purge_access(s: Session, flavor_id: str) -> None:
    s.execute(delete(m.FlavorAccess).where(m.FlavorAccess.flavor_id == flavor_id))
