"""The service catalog a token carries, and OS-EP-FILTER's narrowing of it per project."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.identity import models as m

INTERFACES = ("public", "internal", "admin")

# The only names an endpoint URL may substitute ("$(project_id)s"), as in Keystone.
URL_SUBSTITUTIONS = ("tenant_id", "project_id", "user_id", "compute_host", "public_endpoint")


class _Substitutions(Mapping[str, str]):
    """A mapping that refuses every name outside the allowed ones."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = values

    def __getitem__(self, key: str) -> str:
        if key not in URL_SUBSTITUTIONS:
            raise KeyError(key)
        return self._values[key]

    def __iter__(self) -> Any:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def url_is_valid(url: str) -> bool:
    """Whether ``url``'s substitutions are well formed and all allowed names."""
    try:
        _ = url.replace("$(", "%(") % _Substitutions(dict.fromkeys(URL_SUBSTITUTIONS, ""))
    except (KeyError, TypeError, ValueError):
        return False
    return True


def format_url(url: str, values: Mapping[str, str]) -> str | None:
    """``url`` with its substitutions filled in; None when one cannot be (skip it)."""
    try:
        return url.replace("$(", "%(") % _Substitutions(values)
    except (KeyError, TypeError, ValueError):
        return None


def group_endpoints(
    endpoints: Iterable[m.Endpoint], filters: Mapping[str, Any]
) -> list[m.Endpoint]:
    """The endpoints an endpoint group's filters select (every filter must match)."""
    return [
        e for e in endpoints
        if all(getattr(e, key, e.extra.get(key)) == value for key, value in filters.items())
    ]


def endpoints_for_project(s: Session, project_id: str) -> dict[str, m.Endpoint]:
    """Endpoints associated with a project, directly or through endpoint groups.

    Disabled endpoints are included (the catalog drops them); an empty result means
    the project has no filter at all, so its catalog is the full one.
    """
    assoc = list(
        s.scalars(select(m.ProjectEndpoint).where(m.ProjectEndpoint.project_id == project_id))
    )
    if not assoc:
        return {}
    endpoint_ids = {a.endpoint_id for a in assoc if a.endpoint_id}
    group_ids = {a.endpoint_group_id for a in assoc if a.endpoint_group_id}
    found: dict[str, m.Endpoint] = {}
    if endpoint_ids:
        for e in s.scalars(select(m.Endpoint).where(m.Endpoint.id.in_(endpoint_ids))):
            found[e.id] = e
    if group_ids:
        every = list(s.scalars(select(m.Endpoint)))
        for group in s.scalars(select(m.EndpointGroup).where(m.EndpointGroup.id.in_(group_ids))):
            for e in group_endpoints(every, group.filters):
                found.setdefault(e.id, e)
    return found


def build_catalog(
    s: Session, project_id: str | None, user_id: str | None = None
) -> list[dict[str, Any]]:
    """Keystone's v3 catalog: enabled services with their enabled endpoints.

    For a project with OS-EP-FILTER associations only the associated endpoints are
    listed, and services left without endpoints are dropped.
    """
    values = {k: v for k, v in (("project_id", project_id), ("tenant_id", project_id),
                                ("user_id", user_id)) if v}
    services = list(s.scalars(select(m.Service).where(m.Service.enabled.is_(True))))
    by_service: dict[str, list[m.Endpoint]] = {}
    for e in s.scalars(select(m.Endpoint).where(m.Endpoint.enabled.is_(True))):
        by_service.setdefault(e.service_id, []).append(e)
    allowed = endpoints_for_project(s, project_id) if project_id else {}
    catalog = []
    for sv in services:
        endpoints = []
        for e in by_service.get(sv.id, []):
            if allowed and e.id not in allowed:
                continue
            url = format_url(e.url, values)
            if not url:
                continue
            endpoints.append({"id": e.id, "interface": e.interface, "region": e.region_id,
                              "region_id": e.region_id, "url": url})
        if allowed and not endpoints:
            continue
        catalog.append({"id": sv.id, "type": sv.type, "name": sv.extra.get("name", ""),
                        "endpoints": endpoints})
    return catalog
