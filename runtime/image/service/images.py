"""Image records: create, update through JSON-patch, delete, (de)activate, tags."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from runtime.common.context import Context
from runtime.common.db import utcnow
from runtime.common.errors import ApiError, BadRequest, Conflict, Forbidden, NotFound
from runtime.image import models as m
from runtime.image import schemas as sch
from runtime.image.service.core import Images, enforce, get_image, new_id, tags_of
from runtime.image.states import Status, transition


class OverLimit(ApiError):
    """Glance answers quota and size limits with 413."""

    status = 413


def _check_base_value(name: str, value: Any) -> Any:
    try:
        return sch.check_base(name, value)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


def _check_visibility_change(s: Session, ctx: Context, image: m.Image | None,
                             visibility: str) -> None:
    if visibility == "public":
        enforce(s, ctx, "publicize_image", image)
    elif visibility == "community":
        enforce(s, ctx, "communitize_image", image, owner=image.owner if image else ctx.project_id)


def _check_owner(s: Session, ctx: Context, owner: str | None) -> None:
    if owner != ctx.project_id:
        try:
            enforce(s, ctx, "set_image_owner")
        except Forbidden:
            raise Forbidden(f"You are not permitted to create images owned by '{owner}'.") \
                from None


def _check_property_quota(svc: Images, props: Mapping[str, Any]) -> None:
    limit = svc.settings.image_property_quota
    if limit >= 0 and len(props) > limit:
        raise OverLimit(f"Maximum number of properties exceeded ({limit}).")


def _set_tags(svc: Images, s: Session, image_id: str, tags: list[str]) -> None:
    unique = list(dict.fromkeys(tags))
    limit = svc.settings.image_tag_quota
    if limit >= 0 and len(unique) > limit:
        raise OverLimit(f"Maximum number of tags exceeded ({limit}).")
    s.execute(delete(m.ImageTag).where(m.ImageTag.image_id == image_id))
    s.flush()
    now = utcnow()
    for tag in unique:
        s.add(m.ImageTag(image_id=image_id, value=tag, created_at=now))


def count_owned(s: Session, owner: str | None) -> int:
    return s.scalar(select(func.count()).select_from(m.Image).where(m.Image.owner == owner)) or 0


def create(svc: Images, s: Session, ctx: Context, body: Any) -> m.Image:
    enforce(s, ctx, "add_image")
    data = sch.image_create(body)
    base, props, tags = data.base, data.properties, data.tags
    owner = base.pop("owner", ctx.project_id)
    _check_owner(s, ctx, owner)
    visibility = base.get("visibility", "shared")
    _check_visibility_change(s, ctx, None, visibility)
    _check_property_quota(svc, props)
    limit = svc.settings.image_count_total
    if limit >= 0 and count_owned(s, owner) >= limit:
        raise OverLimit(f"Maximum number of images exceeded: the project may own {limit}.")
    image_id = base.pop("id", None) or new_id()
    if s.get(m.Image, image_id) is not None:
        raise Conflict(f"Image with identifier {image_id} already exists!")
    now = utcnow()
    image = m.Image(id=image_id, status=str(Status.QUEUED), visibility=visibility, owner=owner,
                    name=base.get("name"), disk_format=base.get("disk_format"),
                    container_format=base.get("container_format"),
                    min_disk=base.get("min_disk", 0), min_ram=base.get("min_ram", 0),
                    protected=base.get("protected", False),
                    os_hidden=base.get("os_hidden", False),
                    properties=props, created_at=now, updated_at=now)
    s.add(image)
    s.flush()
    _set_tags(svc, s, image.id, tags)
    return image


# --- JSON-patch -------------------------------------------------------------------------

_FORMAT_FIELDS = ("disk_format", "container_format")


def _apply_base(s: Session, ctx: Context, image: m.Image, name: str, value: Any) -> None:
    value = _check_base_value(name, value)
    if name == "visibility" and value != image.visibility:
        _check_visibility_change(s, ctx, image, value)
    if name == "owner" and value != image.owner:
        _check_owner(s, ctx, value)
    if name in _FORMAT_FIELDS and getattr(image, name) != value and image.status != "queued":
        raise Forbidden(f"Attribute {name} can be only replaced for a queued image.")
    setattr(image, name, value)


def update(svc: Images, s: Session, ctx: Context, image_id: str, changes: Any) -> m.Image:
    image = get_image(s, ctx, image_id)
    enforce(s, ctx, "modify_image", image)
    props = dict(image.properties)
    tags: list[str] | None = None
    for change in sch.patch_ops(changes):
        op, name, value = change.op, change.name, change.value
        if name in sch.READ_ONLY or (op != "remove" and name == "id"):
            raise Forbidden(f"Attribute '{name}' is read-only.")
        if sch.is_reserved(name):
            raise Forbidden(f"Attribute '{name}' is reserved.")
        if name == "tags":
            if op == "remove":
                raise Forbidden("Attribute 'tags' may not be removed.")
            tags = _check_base_value("tags", value)
        elif name in sch.BASE_ATTRIBUTES:
            if op == "remove":
                raise Forbidden(f"Properties {name} may not be removed.")
            _apply_base(s, ctx, image, name, value)
        elif op == "remove":
            if name not in props:
                raise Conflict(f"Property {name} does not exist.")
            del props[name]
        else:
            if op == "replace" and name not in props:
                raise Conflict(f"Property {name} does not exist.")
            props[name] = sch.check_property(name, value)
    _check_property_quota(svc, props)
    image.properties = props
    if tags is not None:
        _set_tags(svc, s, image.id, tags)
    image.updated_at = utcnow()
    return image


# --- delete and (de)activation ------------------------------------------------------------


def delete_image(svc: Images, s: Session, ctx: Context, image_id: str) -> list[tuple[str, str]]:
    """Remove the image; returns the (store, key) pairs whose data the caller deletes
    once the transaction has committed."""
    image = get_image(s, ctx, image_id)
    enforce(s, ctx, "delete_image", image)
    if image.protected:
        raise Forbidden(f"Image {image.id} is protected and cannot be deleted.")
    transition(image, Status.DELETED)
    data = [(loc.store, loc.key) for loc in s.scalars(
        select(m.ImageLocation).where(m.ImageLocation.image_id == image.id))]
    staged = s.get(m.ImageStaging, image.id)
    if staged is not None:
        data.append(("staging", staged.key))
    for table in (m.ImageLocation, m.ImageStaging, m.ImageTag, m.ImageMember):
        s.execute(delete(table).where(table.image_id == image.id))
    s.delete(image)
    return data


def deactivate(s: Session, ctx: Context, image_id: str) -> None:
    image = get_image(s, ctx, image_id)
    enforce(s, ctx, "deactivate", image)
    if image.status not in ("active", "deactivated"):
        raise Forbidden(f"Not allowed to deactivate image in status '{image.status}'")
    transition(image, Status.DEACTIVATED)
    image.updated_at = utcnow()


def reactivate(s: Session, ctx: Context, image_id: str) -> None:
    image = get_image(s, ctx, image_id)
    enforce(s, ctx, "reactivate", image)
    if image.status not in ("active", "deactivated"):
        raise Forbidden(f"Not allowed to reactivate image in status '{image.status}'")
    transition(image, Status.ACTIVE)
    image.updated_at = utcnow()


# --- tags -----------------------------------------------------------------------------------


def add_tag(svc: Images, s: Session, ctx: Context, image_id: str, tag: str) -> None:
    image = get_image(s, ctx, image_id)
    enforce(s, ctx, "add_tag", image)
    tag = _check_base_value("tags", [tag])[0]
    current = tags_of(s, image.id)
    if tag in current:
        return
    limit = svc.settings.image_tag_quota
    if limit >= 0 and len(current) >= limit:
        raise OverLimit(f"Maximum number of tags exceeded ({limit}).")
    s.add(m.ImageTag(image_id=image.id, value=tag))
    image.updated_at = utcnow()


def delete_tag(s: Session, ctx: Context, image_id: str, tag: str) -> None:
    image = get_image(s, ctx, image_id)
    enforce(s, ctx, "delete_tag", image)
    row = s.get(m.ImageTag, (image.id, tag))
    if row is None:
        raise NotFound(f"Tag {tag} not found.")
    s.delete(row)
    image.updated_at = utcnow()


def valid_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
