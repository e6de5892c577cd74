"""Snapshots and backups of a server's root disk (createImage, createBackup): one path.

The API sets the task with the new image's id and metadata (:func:`start`). The host's
agent copies the disk and streams it to the controller, which stores it in the image
service under that id (:func:`store`) and, for a backup, then deletes the oldest
backups of the same server and backup type beyond the rotation (:func:`rotate`), as
Nova's compute manager does once a backup is uploaded.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from runtime.common.context import Context
from runtime.common.errors import Forbidden, NotFound
from runtime.compute import models as m
from runtime.compute.service.actions import start_task
from runtime.compute.service.core import ImageInfo, ImageLookup
from runtime.compute.states import IMAGE_TASKS

log = logging.getLogger("haneul.compute.snapshots")

# Properties of the server's image a snapshot keeps, so it boots the same way.
_INHERITED = ("kernel_id", "ramdisk_id", "os_command_line", "os_distro", "os_type",
              "hw_disk_bus", "hw_machine_type")


@dataclass(frozen=True)
class Backup:
    """A createBackup's type ("daily", "weekly"...) and how many of it to keep."""

    backup_type: str
    rotation: int


def start(s: Session, ctx: Context, server: m.Server, name: str, metadata: dict[str, str],
          backup: Backup | None = None) -> str:
    """Ask the host for a snapshot (or a backup); the image, with the id returned,
    appears once the host has uploaded it."""
    image_id = str(uuid.uuid4())
    base = server.extra.get("image", {})
    props = {k: v for k, v in (base.get("properties") or {}).items() if k in _INHERITED}
    props.update(metadata)
    props.update({"image_type": "backup" if backup else "snapshot",
                  "instance_uuid": server.id, "base_image_ref": server.image_ref,
                  "owner_user_name": ctx.user_id or "", "user_id": server.user_id})
    snapshot: dict[str, Any] = {
        "id": image_id, "name": name, "properties": props,
        "min_disk": server.flavor.get("disk", 0), "min_ram": base.get("min_ram", 0)}
    if backup is not None:
        props["backup_type"] = backup.backup_type
        snapshot["backup"] = {"type": backup.backup_type, "rotation": backup.rotation}
    action = "createBackup" if backup is not None else "createImage"
    start_task(s, ctx, server, action, action, {"snapshot": snapshot})
    return image_id


def in_progress(server: m.Server | None) -> bool:
    return server is not None and server.task_state in IMAGE_TASKS


def image_metadata(args: dict[str, Any], disk_format: str) -> dict[str, Any]:
    """The image service's create body for the snapshot a task describes."""
    return {"id": args["id"], "name": args["name"], "container_format": "bare",
            "disk_format": disk_format, "min_disk": int(args.get("min_disk", 0)),
            "min_ram": int(args.get("min_ram", 0)),
            **{k: str(v) for k, v in (args.get("properties") or {}).items()}}


async def store(images: ImageLookup, owner: Context, server_id: str, args: dict[str, Any],
                disk_format: str, chunks: AsyncIterator[bytes],
                size: int | None) -> ImageInfo:
    """Create the snapshot's image from the host's upload, then rotate backups."""
    info = await images.create_from_stream(owner, image_metadata(args, disk_format), chunks,
                                           size)
    backup = args.get("backup")
    if backup:
        rotate(images, owner, server_id, str(backup["type"]), int(backup["rotation"]))
    return info


def rotate(images: ImageLookup, ctx: Context, server_id: str, backup_type: str,
           rotation: int) -> list[str]:
    """Delete the server's backups of ``backup_type`` beyond the newest ``rotation``;
    the ids deleted. A protected backup, or one gone meanwhile, is left alone."""
    found = images.list(ctx, [("image_type", "backup"), ("backup_type", backup_type),
                              ("instance_uuid", server_id), ("sort_key", "created_at"),
                              ("sort_dir", "desc")])
    deleted = []
    for image in list(found.images)[rotation:]:
        try:
            images.delete(ctx, image.id)
        except (Forbidden, NotFound) as err:
            log.warning("backup %s of server %s not rotated out: %s", image.id, server_id,
                        err.message)
            continue
        deleted.append(image.id)
    return deleted
