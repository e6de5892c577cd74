"""Regions, services and endpoints: the records the service catalog is built from."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from runtime.common.errors import BadRequest, Conflict, Forbidden, NotFound
from runtime.identity import models as m
from runtime.identity import schemas as sch
from runtime.identity.service.catalog import INTERFACES, url_is_valid
from runtime.identity.tokens import random_id

REGION_FIELDS = ("description", "parent_region_id")
SERVICE_FIELDS = ("type", "enabled")
ENDPOINT_FIELDS = ("service_id", "interface", "url", "enabled", "region_id", "region",
                   "legacy_endpoint_id")
_URL = re.compile(r"^[a-zA-Z0-9+.-]+:.+")


def not_empty(data: Mapping[str, Any], key: str) -> None:
    """Updates must change something (Keystone's minProperties: 1)."""
    if not data:
        raise BadRequest(f"Invalid input for field '{key}': {{}} does not have enough "
                         "properties")


def same_id(data: Mapping[str, Any], id_: str) -> None:
    if data.get("id") is not None and data["id"] != id_:
        raise BadRequest("Cannot change ID")


def one_of(data: Mapping[str, Any], key: str, choices: tuple[str, ...],
           required: bool = False) -> str | None:
    if key not in data:
        if required:
            raise BadRequest(f"'{key}' is a required property")
        return None
    value = data[key]
    if value not in choices:
        raise BadRequest(f"Invalid input for field '{key}': {value!r} is not one of "
                         f"{sorted(choices)}")
    return str(value)


# --- regions ----------------------------------------------------------------------------


def get_region(s: Session, region_id: str) -> m.Region:
    r = s.get(m.Region, region_id)
    if r is None:
        raise NotFound(f"Could not find region: {region_id}.")
    return r


def _parent(s: Session, data: Mapping[str, Any]) -> str | None:
    parent_id = sch.string(data, "parent_region_id", min_len=1, nullable=True)
    if parent_id is not None:
        get_region(s, parent_id)  # a missing parent is a 404, as in Keystone
    return parent_id


def create_region(s: Session, data: dict[str, Any]) -> m.Region:
    region_id = sch.string(data, "id", nullable=True) or random_id()
    if s.get(m.Region, region_id) is not None:
        raise Conflict(f"Conflict occurred attempting to store region - Duplicate ID, "
                       f"{region_id}.")
    r = m.Region(
        id=region_id,
        description=sch.string(data, "description", nullable=True) or "",
        parent_region_id=_parent(s, data),
        extra=sch.extra(data, REGION_FIELDS),
    )
    s.add(r)
    s.flush()
    return r


def update_region(s: Session, r: m.Region, data: dict[str, Any]) -> m.Region:
    not_empty(data, "region")
    same_id(data, r.id)
    if "description" in data:
        r.description = sch.string(data, "description", nullable=True) or ""
    if "parent_region_id" in data:
        parent_id = _parent(s, data)
        ancestor = parent_id
        while ancestor is not None:
            if ancestor == r.id:
                raise BadRequest(f"The specified parent region {parent_id} would create a "
                                 "circular region hierarchy.")
            ancestor = get_region(s, ancestor).parent_region_id
        r.parent_region_id = parent_id
    r.extra = {**r.extra, **sch.extra(data, REGION_FIELDS)}
    s.flush()
    return r


def _subregions(s: Session, root: m.Region) -> list[m.Region]:
    """Every region below ``root`` (a cycle left by old data ends the walk)."""
    found: list[m.Region] = []
    seen = {root.id}
    todo = [root.id]
    while todo:
        children = s.scalars(select(m.Region).where(m.Region.parent_region_id == todo.pop()))
        for child in children:
            if child.id not in seen:
                seen.add(child.id)
                found.append(child)
                todo.append(child.id)
    return found


def delete_region(s: Session, r: m.Region) -> None:
    """Delete a region and its subregions, unless any of them still has endpoints."""
    family = [r, *_subregions(s, r)]
    in_use = s.scalar(
        select(m.Endpoint.id).where(m.Endpoint.region_id.in_([x.id for x in family])).limit(1)
    )
    if in_use is not None:
        raise Forbidden(f"Unable to delete region {r.id} because it or its child regions "
                        "have associated endpoints.")
    for x in reversed(family):
        s.delete(x)
    s.flush()


# --- services ---------------------------------------------------------------------------


def get_service(s: Session, service_id: str) -> m.Service:
    sv = s.get(m.Service, service_id)
    if sv is None:
        raise NotFound(f"Could not find service: {service_id}.")
    return sv


def _service_extra(data: Mapping[str, Any]) -> dict[str, Any]:
    sch.string(data, "name", min_len=1)
    return sch.extra(data, SERVICE_FIELDS)


def create_service(s: Session, data: dict[str, Any]) -> m.Service:
    service_type = sch.string(data, "type", required=True, min_len=1)
    extra = _service_extra(data)
    extra.setdefault("name", "")
    sv = m.Service(
        id=random_id(),
        type=service_type,
        enabled=sch.boolean(data, "enabled", True),
        extra=extra,
    )
    s.add(sv)
    s.flush()
    return sv


def update_service(s: Session, sv: m.Service, data: dict[str, Any]) -> m.Service:
    not_empty(data, "service")
    same_id(data, sv.id)
    if "type" in data:
        sv.type = sch.string(data, "type", required=True, min_len=1) or sv.type
    if "enabled" in data:
        sv.enabled = bool(sch.boolean(data, "enabled"))
    sv.extra = {**sv.extra, **_service_extra(data)}
    s.flush()
    return sv


def delete_service(s: Session, sv: m.Service) -> None:
    """A service takes its endpoints (and their project associations) with it."""
    ids = list(s.scalars(select(m.Endpoint.id).where(m.Endpoint.service_id == sv.id)))
    if ids:
        s.execute(delete(m.ProjectEndpoint).where(m.ProjectEndpoint.endpoint_id.in_(ids)))
        s.execute(delete(m.Endpoint).where(m.Endpoint.id.in_(ids)))
    s.delete(sv)
    s.flush()


# --- endpoints --------------------------------------------------------------------------


def get_endpoint(s: Session, endpoint_id: str) -> m.Endpoint:
    e = s.get(m.Endpoint, endpoint_id)
    if e is None:
        raise NotFound(f"Could not find endpoint: {endpoint_id}.")
    return e


def _url(data: Mapping[str, Any], required: bool) -> str | None:
    url = sch.string(data, "url", required=required, max_len=225)
    if url is None:
        return None
    if not _URL.match(url):
        raise BadRequest(f"Invalid input for field 'url': {url!r} does not match "
                         f"'{_URL.pattern}'")
    if not url_is_valid(url):
        raise BadRequest(f"Cannot create an endpoint with an invalid URL: {url}.")
    return url


def _region(s: Session, data: Mapping[str, Any]) -> tuple[bool, str | None]:
    """(given, region id): ``region_id``, else the legacy ``region``, created on demand."""
    region_id = sch.string(data, "region_id", nullable=True)
    legacy = sch.string(data, "region", nullable=True)
    if region_id is None and legacy is not None:
        # Old v2-style clients name the region only; Keystone creates it for them.
        if s.get(m.Region, legacy) is None:
            s.add(m.Region(id=legacy, description="", extra={}))
            s.flush()
        return True, legacy
    if region_id is not None and s.get(m.Region, region_id) is None:
        raise BadRequest("Expecting to find endpoint region_id in region table. The server "
                         "could not comply with the request since it is either malformed "
                         "or otherwise incorrect. The client is assumed to be in error.")
    return "region_id" in data, region_id


def _service_id(s: Session, data: Mapping[str, Any], required: bool) -> str | None:
    service_id = sch.string(data, "service_id", required=required)
    if service_id is not None and s.get(m.Service, service_id) is None:
        raise BadRequest("Expecting to find endpoint service_id in service table. The server "
                         "could not comply with the request since it is either malformed "
                         "or otherwise incorrect. The client is assumed to be in error.")
    return service_id


def create_endpoint(s: Session, data: dict[str, Any]) -> m.Endpoint:
    interface = one_of(data, "interface", INTERFACES, required=True)
    url = _url(data, required=True)
    enabled = sch.boolean(data, "enabled", True)
    sch.string(data, "service_id", required=True)
    _, region_id = _region(s, data)
    service_id = _service_id(s, data, required=True)
    e = m.Endpoint(
        id=random_id(),
        service_id=service_id,
        region_id=region_id,
        interface=interface,
        url=url,
        enabled=bool(enabled),
        extra=sch.extra(data, ENDPOINT_FIELDS),
    )
    s.add(e)
    s.flush()
    return e


def update_endpoint(s: Session, e: m.Endpoint, data: dict[str, Any]) -> m.Endpoint:
    not_empty(data, "endpoint")
    same_id(data, e.id)
    if "interface" in data:
        e.interface = one_of(data, "interface", INTERFACES) or e.interface
    if "url" in data:
        e.url = _url(data, required=True) or e.url
    if "enabled" in data:
        e.enabled = bool(sch.boolean(data, "enabled"))
    given, region_id = _region(s, data)
    if given:
        e.region_id = region_id
    if "service_id" in data:
        e.service_id = _service_id(s, data, required=True) or e.service_id
    e.extra = {**e.extra, **sch.extra(data, ENDPOINT_FIELDS)}
    s.flush()
    return e


def delete_endpoint(s: Session, e: m.Endpoint) -> None:
    s.execute(delete(m.ProjectEndpoint).where(m.ProjectEndpoint.endpoint_id == e.id))
    s.delete(e)
    s.flush()
