"""Per-project quotas: the defaults from settings, overrides in the database, and the
count of what a project already has."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from runtime.network import models as m
from runtime.network.errors import BadRequest, Conflict
from runtime.network.settings import NetworkSettings

COUNTED: dict[str, Any] = {
    "network": m.Network, "subnet": m.Subnet, "subnetpool": m.SubnetPool, "port": m.Port,
    "router": m.Router, "floatingip": m.FloatingIP, "security_group": m.SecurityGroup,
    "security_group_rule": m.SecurityGroupRule,
}


def defaults(settings: NetworkSettings) -> dict[str, int]:
    return settings.quota.model_dump()


def limits(s: Session, settings: NetworkSettings, project_id: str) -> dict[str, int]:
    out = defaults(settings)
    for resource, limit in s.execute(select(m.Quota.resource, m.Quota.limit)
                                     .where(m.Quota.project_id == project_id)):
        if resource in out:
            out[resource] = limit
    return out


def used(s: Session, project_id: str, resource: str) -> int:
    model = COUNTED[resource]
    return int(s.scalar(select(func.count()).select_from(model)
                        .where(model.project_id == project_id)) or 0)


def check(s: Session, settings: NetworkSettings, project_id: str, resource: str,
          adding: int = 1) -> None:
    """409 OverQuota when ``adding`` more of ``resource`` would pass the project's limit."""
    limit = limits(s, settings, project_id)[resource]
    if limit >= 0 and used(s, project_id, resource) + adding > limit:
        raise Conflict(f"Quota exceeded for resources: ['{resource}'].", type="OverQuota")


def projects_with_overrides(s: Session) -> list[str]:
    return list(s.scalars(select(m.Quota.project_id).distinct()))


def update(s: Session, settings: NetworkSettings, project_id: str,
           body: Any) -> dict[str, int]:
    if not isinstance(body, dict):
        raise BadRequest("Body contains invalid data")
    known = defaults(settings)
    body = dict(body)
    # quota-check-limit: refuse a limit below what the project already uses.
    check_limit = body.pop("check_limit", False)
    if not isinstance(check_limit, bool):
        raise BadRequest(f"Invalid input for check_limit. Reason: '{check_limit}' is not a "
                         "boolean.")
    for resource, value in body.items():
        if resource not in known:
            raise BadRequest(f"Unrecognized attribute(s) '{resource}'")
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise BadRequest(f"Invalid input for {resource}. Reason: '{value}' is not an "
                             "integer.")
        try:
            limit = int(value)
        except ValueError:
            raise BadRequest(f"Invalid input for {resource}. Reason: '{value}' is not an "
                             "integer.") from None
        if limit < -1:
            raise BadRequest(f"Invalid input for {resource}. Reason: '{limit}' is too small "
                             "- must be at least '-1'.")
        if check_limit and limit >= 0 and used(s, project_id, resource) > limit:
            raise BadRequest(f"Quota limit {limit} for {resource} must be equal or greater "
                             "than existing resources.", type="InvalidQuotaValue")
        row = s.get(m.Quota, (project_id, resource))
        if row is None:
            s.add(m.Quota(project_id=project_id, resource=resource, limit=limit))
        else:
            row.limit = limit
    s.flush()
    return limits(s, settings, project_id)


def reset(s: Session, project_id: str) -> None:
    s.execute(delete(m.Quota).where(m.Quota.project_id == project_id))


def details(s: Session, settings: NetworkSettings, project_id: str) -> dict[str, Any]:
    return {resource: {"limit": limit, "used": used(s, project_id, resource), "reserved": 0}
            for resource, limit in limits(s, settings, project_id).items()}
