"""Image members: the projects a ``shared`` image is offered to, and their answers."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from runtime.common.context import Context
from runtime.common.db import utcnow
from runtime.common.errors import Conflict, Forbidden, NotFound
from runtime.image import models as m
from runtime.image.service.core import Images, enforce, get_image
from runtime.image.service.images import OverLimit


def _member(s: Session, image_id: str, member_id: str) -> m.ImageMember:
    row = s.get(m.ImageMember, (image_id, member_id))
    if row is None:
        raise NotFound(f"Member {member_id} not found for image {image_id}.")
    return row


def add(svc: Images, s: Session, ctx: Context, image_id: str, member_id: str) -> m.ImageMember:
    image = get_image(s, ctx, image_id)
    enforce(s, ctx, "add_member", image)
    if image.visibility != "shared":
        raise Forbidden(f"Only shared images have members. Image {image_id} is "
                        f"{image.visibility}.")
    if s.get(m.ImageMember, (image.id, member_id)) is not None:
        raise Conflict(f"Member {member_id} already exists on image {image_id}.")
    limit = svc.settings.image_member_quota
    count = s.scalar(select(func.count()).select_from(m.ImageMember)
                     .where(m.ImageMember.image_id == image.id)) or 0
    if limit >= 0 and count >= limit:
        raise OverLimit(f"Maximum number of image members exceeded ({limit}).")
    now = utcnow()
    row = m.ImageMember(image_id=image.id, member=member_id, status="pending", created_at=now,
                        updated_at=now)
    s.add(row)
    return row


def list_members(s: Session, ctx: Context, image_id: str) -> list[m.ImageMember]:
    image = get_image(s, ctx, image_id)
    enforce(s, ctx, "get_members", image)
    if image.visibility != "shared":
        raise Forbidden(f"Only shared images have members. Image {image_id} is "
                        f"{image.visibility}.")
    stmt = select(m.ImageMember).where(m.ImageMember.image_id == image.id)
    # A member sees its own membership only; the owner (and admins) see them all.
    if not (ctx.is_admin or image.owner == ctx.project_id):
        stmt = stmt.where(m.ImageMember.member == ctx.project_id)
    return list(s.scalars(stmt.order_by(m.ImageMember.created_at)))


def get(s: Session, ctx: Context, image_id: str, member_id: str) -> m.ImageMember:
    image = get_image(s, ctx, image_id)
    enforce(s, ctx, "get_member", image, member_id=member_id)
    return _member(s, image.id, member_id)


def update(s: Session, ctx: Context, image_id: str, member_id: str,
           status: str) -> m.ImageMember:
    image = get_image(s, ctx, image_id)
    row = _member(s, image.id, member_id)
    enforce(s, ctx, "modify_member", image, member_id=member_id)
    row.status = status
    row.updated_at = utcnow()
    return row


def delete(s: Session, ctx: Context, image_id: str, member_id: str) -> None:
    image = get_image(s, ctx, image_id)
    enforce(s, ctx, "delete_member", image)
    s.delete(_member(s, image.id, member_id))
