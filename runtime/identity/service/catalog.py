"""Regions, services and endpoints, and the catalog a token carries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.identity import models as m

INTERFACES = ("public", "internal", "admin")


def endpoints_for_project(s: Session, project_id: str | None) -> list[m.Endpoint]:
    """Enabled endpoints of enabled services; OS-EP-FILTER narrows them per project."""
    rows = list(
        s.scalars(
            select(m.Endpoint)
            .join(m.Service, m.Service.id == m.Endpoint.service_id)
            .where(m.Endpoint.enabled.is_(True), m.Service.enabled.is_(True))
        )
    )
    if project_id is None:
        return rows
    assoc = list(
        s.scalars(select(m.ProjectEndpoint).where(m.ProjectEndpoint.project_id == project_id))
    )
    if not assoc:
        return rows
    allowed = {a.endpoint_id for a in assoc if a.endpoint_id}
    group_ids = [a.endpoint_group_id for a in assoc if a.endpoint_group_id]
    if group_ids:
        for group in s.scalars(select(m.EndpointGroup).where(m.EndpointGroup.id.in_(group_ids))):
            allowed.update(e.id for e in rows if matches_filters(s, e, group.filters))
    return [e for e in rows if e.id in allowed]


def matches_filters(s: Session, endpoint: m.Endpoint, filters: dict[str, Any]) -> bool:
    """Endpoint-group filters: service_id, region_id and interface must all match."""
    for key in ("service_id", "region_id", "interface"):
        if key in filters and getattr(endpoint, key) != filters[key]:
            return False
    return True


def build_catalog(s: Session, project_id: str | None) -> list[dict[str, Any]]:
    endpoints = endpoints_for_project(s, project_id)
    services = {sv.id: sv for sv in s.scalars(select(m.Service).where(m.Service.enabled.is_(True)))}
    by_service: dict[str, list[dict[str, Any]]] = {}
    for e in endpoints:
        by_service.setdefault(e.service_id, []).append(
            {
                "id": e.id,
                "interface": e.interface,
                "region": e.region_id,
                "region_id": e.region_id,
                "url": e.url,
            }
        )
    catalog = []
    for service_id, eps in by_service.items():
        sv = services.get(service_id)
        if sv is None:
            continue
        catalog.append(
            {"id": sv.id, "type": sv.type, "name": sv.extra.get("name", ""), "endpoints": eps}
        )
    return catalog
