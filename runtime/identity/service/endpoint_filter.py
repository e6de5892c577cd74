"""OS-EP-FILTER: endpoint groups, and endpoints or groups associated with projects.

One table holds both kinds of association: a row names either an endpoint
(``endpoint_group_id`` empty) or an endpoint group (``endpoint_id`` empty).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from runtime.common.errors import BadRequest, Conflict, NotFound
from runtime.identity import models as m
from runtime.identity import schemas as sch
from runtime.identity.service.catalog import INTERFACES, group_endpoints
from runtime.identity.service.endpoints import not_empty, one_of, same_id
from runtime.identity.tokens import random_id

FILTER_KEYS = ("service_id", "region_id", "interface")
GROUP_FIELDS = ("name", "description", "filters")


def get_group(s: Session, group_id: str) -> m.EndpointGroup:
    g = s.get(m.EndpointGroup, group_id)
    if g is None:
        raise NotFound(f"Could not find Endpoint Group: {group_id}.")
    return g


def _filters(data: dict[str, Any]) -> dict[str, Any]:
    filters = data.get("filters")
    if not isinstance(filters, dict) or not filters:
        raise BadRequest("filters field is required and cannot be empty")
    for key in filters:
        if key not in FILTER_KEYS:
            raise BadRequest("Expecting to find service_id or region_id or interface in "
                             "endpoint_group. The server could not comply with the request "
                             "since it is either malformed or otherwise incorrect. The client "
                             "is assumed to be in error.")
    one_of(filters, "interface", INTERFACES)
    sch.string(filters, "service_id")
    sch.string(filters, "region_id", nullable=True)
    return dict(filters)


def _known_only(data: dict[str, Any]) -> None:
    # Endpoint groups, unlike most resources, keep no extra attributes.
    for key in data:
        if key not in (*GROUP_FIELDS, "id", "links"):
            raise BadRequest(f"Additional properties are not allowed ('{key}' was unexpected)")


def create_group(s: Session, data: dict[str, Any]) -> m.EndpointGroup:
    _known_only(data)
    g = m.EndpointGroup(
        id=random_id(),
        name=sch.string(data, "name", required=True, min_len=1),
        description=sch.string(data, "description", max_len=65535, nullable=True),
        filters=_filters(data),
    )
    s.add(g)
    s.flush()
    return g


def update_group(s: Session, g: m.EndpointGroup, data: dict[str, Any]) -> m.EndpointGroup:
    not_empty(data, "endpoint_group")
    _known_only(data)
    same_id(data, g.id)
    if "name" in data:
        g.name = sch.string(data, "name", required=True, min_len=1) or g.name
    if "description" in data:
        g.description = sch.string(data, "description", max_len=65535, nullable=True)
    if "filters" in data:
        g.filters = _filters(data)
    s.flush()
    return g


def delete_group(s: Session, g: m.EndpointGroup) -> None:
    s.execute(delete(m.ProjectEndpoint).where(m.ProjectEndpoint.endpoint_group_id == g.id))
    s.delete(g)
    s.flush()


def endpoints_in_group(s: Session, g: m.EndpointGroup) -> list[m.Endpoint]:
    return group_endpoints(s.scalars(select(m.Endpoint)), g.filters)


# --- associations -----------------------------------------------------------------------


def _live_projects(s: Session, project_ids: list[str]) -> list[m.Project]:
    """The projects still there (associations outlive a deleted project)."""
    if not project_ids:
        return []
    return list(s.scalars(select(m.Project).where(m.Project.id.in_(project_ids),
                                                  m.Project.is_domain.is_(False))))


def add_endpoint(s: Session, project_id: str, endpoint_id: str) -> None:
    if s.get(m.ProjectEndpoint, (project_id, endpoint_id, "")) is not None:
        raise Conflict("Conflict occurred attempting to store project_endpoint - Duplicate "
                       "entry.")
    s.add(m.ProjectEndpoint(project_id=project_id, endpoint_id=endpoint_id,
                            endpoint_group_id=""))
    s.flush()


def endpoint_association(s: Session, project_id: str, endpoint_id: str) -> m.ProjectEndpoint:
    row = s.get(m.ProjectEndpoint, (project_id, endpoint_id, ""))
    if row is None:
        raise NotFound(f"Endpoint {endpoint_id} not found in project {project_id}")
    return row


def projects_for_endpoint(s: Session, endpoint_id: str) -> list[m.Project]:
    ids = s.scalars(select(m.ProjectEndpoint.project_id).where(
        m.ProjectEndpoint.endpoint_id == endpoint_id))
    return _live_projects(s, list(ids))


def add_group(s: Session, project_id: str, group_id: str) -> None:
    if s.get(m.ProjectEndpoint, (project_id, "", group_id)) is not None:
        raise Conflict("Conflict occurred attempting to store project_endpoint_group - "
                       "Duplicate entry.")
    s.add(m.ProjectEndpoint(project_id=project_id, endpoint_id="", endpoint_group_id=group_id))
    s.flush()


def group_association(s: Session, project_id: str, group_id: str) -> m.ProjectEndpoint:
    row = s.get(m.ProjectEndpoint, (project_id, "", group_id))
    if row is None:
        raise NotFound("Endpoint Group Project Association not found")
    return row


def projects_for_group(s: Session, group_id: str) -> list[m.Project]:
    ids = s.scalars(select(m.ProjectEndpoint.project_id).where(
        m.ProjectEndpoint.endpoint_group_id == group_id))
    return _live_projects(s, list(ids))


def groups_for_project(s: Session, project_id: str) -> list[m.EndpointGroup]:
    ids = list(s.scalars(select(m.ProjectEndpoint.endpoint_group_id).where(
        m.ProjectEndpoint.project_id == project_id, m.ProjectEndpoint.endpoint_group_id != "")))
    if not ids:
        return []
    return list(s.scalars(select(m.EndpointGroup).where(m.EndpointGroup.id.in_(ids))))
