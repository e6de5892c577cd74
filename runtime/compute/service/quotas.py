"""Quota sets: defaults from configuration, per-project and per-user limits set by
admins, usage counted from the servers themselves, and Nova's over-quota message."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from runtime.common.config import ComputeQuotaSettings
from runtime.common.errors import BadRequest, Forbidden
from runtime.compute import models as m

RESOURCES: tuple[str, ...] = tuple(ComputeQuotaSettings.model_fields)
# Removed from the API at 2.36 (they belonged to nova-network) and 2.57 (personality).
NETWORK_RESOURCES = {"fixed_ips": -1, "floating_ips": -1, "security_groups": -1,
                     "security_group_rules": -1}
PERSONALITY = ("injected_files", "injected_file_content_bytes", "injected_file_path_bytes")


def defaults(settings: ComputeQuotaSettings) -> dict[str, int]:
    return {r: int(getattr(settings, r)) for r in RESOURCES}


# The "default" quota class lives in the quota table under this (empty) project id.
DEFAULT_CLASS = ""


def class_defaults(s: Session, settings: ComputeQuotaSettings) -> dict[str, int]:
    """The configured defaults, as the default quota class overrides them."""
    out = defaults(settings)
    for q in s.scalars(select(m.Quota).where(m.Quota.project_id == DEFAULT_CLASS)):
        out[q.resource] = q.hard_limit
    return out


def update_class(s: Session, values: Mapping[str, int]) -> None:
    for resource, limit in values.items():
        if limit < -1:
            raise BadRequest(f"Quota limit {limit} for {resource} must be -1 or greater.")
        row = s.get(m.Quota, (DEFAULT_CLASS, "", resource))
        if row is None:
            s.add(m.Quota(project_id=DEFAULT_CLASS, user_id="", resource=resource,
                          hard_limit=limit))
        else:
            row.hard_limit = limit
    s.flush()


def limits(s: Session, settings: ComputeQuotaSettings, project_id: str,
           user_id: str | None = None) -> dict[str, int]:
    """The limits in force: defaults, then the project's, then the user's own."""
    out = class_defaults(s, settings)
    rows = s.scalars(select(m.Quota).where(m.Quota.project_id == project_id,
                                           m.Quota.user_id.in_(["", user_id or ""])))
    ordered = sorted(rows, key=lambda q: q.user_id != "")  # project first, user after
    for q in ordered:
        if q.user_id == "" or q.user_id == user_id:
            out[q.resource] = q.hard_limit
    return out


@dataclass(frozen=True)
class Usage:
    instances: int
    cores: int
    ram: int
    server_groups: int = 0

    def get(self, resource: str) -> int:
        return int(getattr(self, resource, 0))


def usage(s: Session, project_id: str, user_id: str | None = None) -> Usage:
    servers = select(m.Server.flavor).where(m.Server.project_id == project_id)
    if user_id is not None:
        servers = servers.where(m.Server.user_id == user_id)
    flavors = list(s.scalars(servers))
    groups = s.scalar(select(func.count()).select_from(m.ServerGroup)
                      .where(m.ServerGroup.project_id == project_id)) or 0
    return Usage(instances=len(flavors),
                 cores=sum(int(f.get("vcpus", 0)) for f in flavors),
                 ram=sum(int(f.get("ram", 0)) for f in flavors),
                 server_groups=int(groups))


def check_servers(s: Session, settings: ComputeQuotaSettings, project_id: str, user_id: str,
                  count: int, vcpus: int, ram: int) -> None:
    """403 in Nova's words when ``count`` more servers of this size do not fit."""
    wanted = {"instances": count, "cores": vcpus * count, "ram": ram * count}
    for scope_user in (None, user_id):
        allowed = limits(s, settings, project_id, scope_user)
        used = usage(s, project_id, scope_user)
        if scope_user is not None and not _has_user_quota(s, project_id, user_id):
            continue
        overs = [r for r, n in wanted.items()
                 if allowed[r] >= 0 and used.get(r) + n > allowed[r]]
        if overs:
            raise Forbidden(
                f"Quota exceeded for {', '.join(overs)}: Requested "
                f"{', '.join(str(wanted[r]) for r in overs)}, but already used "
                f"{', '.join(str(used.get(r)) for r in overs)} of "
                f"{', '.join(str(allowed[r]) for r in overs)} {', '.join(overs)}")


def _has_user_quota(s: Session, project_id: str, user_id: str) -> bool:
    return s.scalar(select(m.Quota.resource).where(
        m.Quota.project_id == project_id, m.Quota.user_id == user_id).limit(1)) is not None


def check_metadata(settings: ComputeQuotaSettings, s: Session, project_id: str,
                   items: int) -> None:
    allowed = limits(s, settings, project_id)["metadata_items"]
    if 0 <= allowed < items:
        raise Forbidden(f"Maximum number of metadata items exceeds {allowed}")


def update(s: Session, project_id: str, user_id: str | None, values: Mapping[str, int],
           force: bool, settings: ComputeQuotaSettings) -> None:
    """Set limits; below current usage is refused unless ``force``, as in Nova."""
    used = usage(s, project_id, user_id)
    for resource, limit in values.items():
        if resource not in RESOURCES:
            continue
        if limit < -1:
            raise BadRequest(f"Quota limit {limit} for {resource} must be -1 or greater.")
        if not force and limit >= 0 and used.get(resource) > limit:
            raise BadRequest(f"Quota limit {limit} for {resource} must be greater than or "
                             f"equal to already used and reserved {used.get(resource)}.")
        row = s.get(m.Quota, (project_id, user_id or "", resource))
        if row is None:
            s.add(m.Quota(project_id=project_id, user_id=user_id or "", resource=resource,
                          hard_limit=limit))
        else:
            row.hard_limit = limit
    s.flush()


def revert(s: Session, project_id: str, user_id: str | None) -> None:
    """Back to the defaults (DELETE os-quota-sets/{project})."""
    stmt = delete(m.Quota).where(m.Quota.project_id == project_id)
    if user_id is not None:
        stmt = stmt.where(m.Quota.user_id == user_id)
    s.execute(stmt)
