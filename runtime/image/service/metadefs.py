"""Metadata definitions (metadefs): namespaces describing the properties, objects and
tags that images, volumes, flavors and servers may carry, for UIs to offer.

Each namespace's parts are JSON maps on its row (name -> definition); every change
builds new maps, so the ORM always sees the write.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from runtime.common.context import Context
from runtime.common.db import utcnow
from runtime.common.errors import BadRequest, Conflict, Forbidden, NotFound
from runtime.image import models as m
from runtime.image.service.core import enforce

# The resource types Glance ships definitions for.
RESOURCE_TYPES = ("OS::Glance::Image", "OS::Cinder::Volume", "OS::Nova::Flavor",
                  "OS::Nova::Aggregate", "OS::Nova::Server", "OS::Trove::Instance",
                  "OS::Glance::Metadef", "OS::Nova::Instance")
PARTS = ("resource_types", "properties", "objects", "tags")
_NS_FIELDS = {"namespace": str, "display_name": str, "description": str, "visibility": str,
              "protected": bool, "owner": str}


def _check_namespace_body(body: Any, partial: bool = False) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    data: dict[str, Any] = {}
    for key, value in body.items():
        if key in _NS_FIELDS:
            if not isinstance(value, _NS_FIELDS[key]):
                raise BadRequest(f"Invalid value for '{key}'.")
            data[key] = value
        elif key not in ("resource_type_associations", "properties", "objects", "tags",
                         "schema", "self", "created_at", "updated_at"):
            raise BadRequest(f"Additional properties are not allowed ('{key}' was "
                             "unexpected)")
    if not partial and not data.get("namespace"):
        raise BadRequest("'namespace' is a required property")
    if data.get("visibility", "private") not in ("public", "private"):
        raise BadRequest("visibility must be public or private")
    return data


def get(s: Session, ctx: Context, name: str) -> m.MetadefNamespace:
    ns = s.get(m.MetadefNamespace, name)
    if ns is None or not (ns.visibility == "public" or ctx.is_admin
                          or ns.owner == ctx.project_id):
        raise NotFound(f"Metadata definition namespace={name} was not found.")
    return ns


def list_namespaces(s: Session, ctx: Context) -> list[m.MetadefNamespace]:
    enforce(s, ctx, "metadef_read")
    stmt = select(m.MetadefNamespace).order_by(m.MetadefNamespace.created_at)
    if not ctx.is_admin:
        stmt = stmt.where(or_(m.MetadefNamespace.visibility == "public",
                              m.MetadefNamespace.owner == ctx.project_id))
    return list(s.scalars(stmt))


def create(s: Session, ctx: Context, body: Any) -> m.MetadefNamespace:
    enforce(s, ctx, "metadef_admin")
    data = _check_namespace_body(body)
    if s.get(m.MetadefNamespace, data["namespace"]) is not None:
        raise Conflict(f"A metadata definition namespace with name={data['namespace']} "
                       "already exists.")
    now = utcnow()
    ns = m.MetadefNamespace(owner=data.pop("owner", ctx.project_id), created_at=now,
                            updated_at=now, resource_types={}, properties={}, objects={},
                            tags={}, **data)
    for assoc in body.get("resource_type_associations") or []:
        ns.resource_types = {**ns.resource_types, **_assoc(assoc)}
    for name, prop in (body.get("properties") or {}).items():
        ns.properties = {**ns.properties, name: _definition({**prop, "name": name}, "title")}
    for obj in body.get("objects") or []:
        ns.objects = {**ns.objects, **{obj["name"]: _stamped(_definition(obj))}}
    for tag in body.get("tags") or []:
        ns.tags = {**ns.tags, **{tag["name"]: _stamped(_definition(tag))}}
    s.add(ns)
    return ns


def update(s: Session, ctx: Context, name: str, body: Any) -> m.MetadefNamespace:
    ns = get(s, ctx, name)
    enforce(s, ctx, "metadef_admin")
    data = _check_namespace_body(body, partial=True)
    new_name = data.pop("namespace", name)
    if new_name != name:
        raise BadRequest("Renaming a namespace is not supported.")
    for key, value in data.items():
        setattr(ns, key, value)
    ns.updated_at = utcnow()
    return ns


def delete(s: Session, ctx: Context, name: str) -> None:
    ns = get(s, ctx, name)
    enforce(s, ctx, "metadef_admin")
    if ns.protected:
        raise Forbidden(f"Namespace {name} is protected and cannot be deleted.")
    s.delete(ns)


def _stamped(item: dict[str, Any]) -> dict[str, Any]:
    now = utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"created_at": now, **item, "updated_at": now}


def _definition(body: Any, *required: str) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"]:
        raise BadRequest("'name' is a required property")
    for key in required:
        if key not in body:
            raise BadRequest(f"'{key}' is a required property")
    return {k: v for k, v in body.items() if k not in ("created_at", "updated_at", "schema",
                                                        "self")}


def _assoc(body: Any) -> dict[str, Any]:
    item = _definition(body)
    return {item["name"]: _stamped(item)}


def add_part(s: Session, ctx: Context, name: str, part: str, body: Any) -> dict[str, Any]:
    """Create one property, object, tag or resource type association."""
    ns = get(s, ctx, name)
    enforce(s, ctx, "metadef_admin")
    item = _definition(body, *(("title", "type") if part == "properties" else ()))
    current: dict[str, Any] = dict(getattr(ns, part))
    if item["name"] in current:
        raise Conflict(f"A {part} definition named {item['name']} already exists in "
                       f"namespace {name}.")
    if part != "properties":
        item = _stamped(item)
    current[item["name"]] = item
    setattr(ns, part, current)
    ns.updated_at = utcnow()
    return item


def get_part(s: Session, ctx: Context, name: str, part: str, item: str) -> dict[str, Any]:
    ns = get(s, ctx, name)
    found: dict[str, Any] | None = getattr(ns, part).get(item)
    if found is None:
        raise NotFound(f"Metadata definition {part} {item} was not found in namespace "
                       f"{name}.")
    return found


def replace_part(s: Session, ctx: Context, name: str, part: str, item: str,
                 body: Any) -> dict[str, Any]:
    old = get_part(s, ctx, name, part, item)
    enforce(s, ctx, "metadef_admin")
    ns = get(s, ctx, name)
    new = _definition(body, *(("title", "type") if part == "properties" else ()))
    current = dict(getattr(ns, part))
    if new["name"] != item and new["name"] in current:
        raise Conflict(f"A {part} definition named {new['name']} already exists.")
    del current[item]
    if part != "properties":
        new = {**_stamped(new), "created_at": old.get("created_at")}
    current[new["name"]] = new
    setattr(ns, part, current)
    ns.updated_at = utcnow()
    return new


def delete_part(s: Session, ctx: Context, name: str, part: str, item: str | None) -> None:
    """Delete one definition, or every one of ``part`` when ``item`` is None."""
    ns = get(s, ctx, name)
    enforce(s, ctx, "metadef_admin")
    if item is None:
        setattr(ns, part, {})
    else:
        get_part(s, ctx, name, part, item)
        setattr(ns, part, {k: v for k, v in getattr(ns, part).items() if k != item})
    ns.updated_at = utcnow()


def replace_tags(s: Session, ctx: Context, name: str, body: Any) -> list[dict[str, Any]]:
    ns = get(s, ctx, name)
    enforce(s, ctx, "metadef_admin")
    if not isinstance(body, dict) or not isinstance(body.get("tags"), list):
        raise BadRequest("'tags' is a required property")
    tags = {}
    for tag in body["tags"]:
        item = _stamped(_definition(tag))
        if item["name"] in tags:
            raise Conflict(f"Duplicate tag {item['name']}.")
        tags[item["name"]] = item
    ns.tags = tags
    ns.updated_at = utcnow()
    return list(tags.values())
