"""The heavier server actions: rescue/unrescue, resize (confirm, revert) and rebuild
(createImage and createBackup are in :mod:`.snapshots`). Each sets a task with the
arguments its host's agent needs; what happens when the agent reports back is
:func:`finish`."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.common.context import Context
from runtime.common.db import utcnow
from runtime.common.errors import BadRequest, Forbidden
from runtime.compute import models as m
from runtime.compute.service import flavors, quotas, scheduler
from runtime.compute.service.actions import start_task
from runtime.compute.service.core import Compute
from runtime.compute.service.servers import (
    ImageFacts,
    check_image_fits,
    flavor_snapshot,
    resolve_image,
)
from runtime.compute.states import TaskState


def rescue(comp: Compute, s: Session, ctx: Context, server: m.Server,
           image: ImageFacts | None) -> None:
    """Boot from a rescue image (by default the server's own) with its disk attached."""
    facts = image.__dict__ if image is not None else server.extra.get("image", {})
    start_task(s, ctx, server, "rescue", "rescue", {"rescue_image": facts})


def unrescue(s: Session, ctx: Context, server: m.Server) -> None:
    start_task(s, ctx, server, "unrescue", "unrescue")


def _room_for(comp: Compute, s: Session, server: m.Server, old: dict[str, Any],
              new: dict[str, Any]) -> None:
    """Quota and host capacity for the difference between two flavors (403 / 400)."""
    dv, dr = new["vcpus"] - old["vcpus"], new["ram"] - old["ram"]
    allowed = quotas.limits(s, comp.settings.quota, server.project_id)
    used = quotas.usage(s, server.project_id)
    overs = [(r, d) for r, d in (("cores", dv), ("ram", dr))
             if d > 0 and allowed[r] >= 0 and used.get(r) + d > allowed[r]]
    if overs:
        names = ", ".join(r for r, _ in overs)
        raise Forbidden(
            f"Quota exceeded for {names}: Requested {', '.join(str(d) for _, d in overs)}, "
            f"but already used {', '.join(str(used.get(r)) for r, _ in overs)} of "
            f"{', '.join(str(allowed[r]) for r, _ in overs)} {names}")
    hosts = {h.host: h for h in scheduler.host_states(s, comp.settings)}
    here = hosts.get(server.host or "")
    if here is not None:
        grow = scheduler.Request(vcpus=max(dv, 0), memory_mb=max(dr, 0),
                                 disk_gb=max(new["disk"] - old["disk"], 0))
        ratios = scheduler.ratios(comp.settings)
        fits = all(f(here, grow, ratios) for name, f in scheduler.FILTERS
                   if name in ("RamFilter", "DiskFilter", "VCPUFilter"))
        if not fits:
            raise BadRequest("No valid host was found. The server's host has no room for "
                             "the new flavor.")


def resize(comp: Compute, s: Session, ctx: Context, server: m.Server, flavor_ref: str) -> None:
    new_row = flavors.get(s, ctx, flavor_ref)
    if new_row.id == server.flavor_id:
        raise BadRequest("When resizing, instances must change flavor!")
    new = flavor_snapshot(s, new_row)
    old = dict(server.flavor)
    if new["disk"] == 0 and old["disk"] > 0:
        raise BadRequest("Resize to zero disk flavor is not allowed.")
    if new["disk"] < old["disk"]:
        raise BadRequest("Resizing to a smaller disk flavor is not allowed.")
    image = server.extra.get("image") or {}
    if image.get("id"):
        check_image_fits(ImageFacts(**image), new)
    _room_for(comp, s, server, old, new)
    start_task(s, ctx, server, "resize", "resize",
               {"new_flavor": new, "old_flavor": old})
    s.add(m.Migration(uuid=str(uuid.uuid4()), server_id=server.id,
                      project_id=server.project_id, user_id=server.user_id,
                      migration_type="resize", status="migrating",
                      source_compute=server.host, dest_compute=server.host,
                      old_flavor_id=old["id"], new_flavor_id=new["id"]))


def confirm_resize(s: Session, ctx: Context, server: m.Server) -> None:
    start_task(s, ctx, server, "confirmResize", "confirmResize",
               {"old_vm_state": server.extra.get("resize_from", "active")})


def revert_resize(s: Session, ctx: Context, server: m.Server) -> None:
    start_task(s, ctx, server, "revertResize", "revertResize",
               {"old_vm_state": server.extra.get("resize_from", "active"),
                "flavor": server.extra.get("old_flavor", server.flavor)})


def rebuild(comp: Compute, s: Session, ctx: Context, server: m.Server, image_ref: str,
            fields: dict[str, Any]) -> None:
    """A fresh root disk from ``image_ref``; name, metadata, key and user data may
    change with it."""
    image = resolve_image(comp, ctx, image_ref)
    check_image_fits(image, server.flavor)
    start_task(s, ctx, server, "rebuild", "rebuild")
    server.image_ref = image.id
    server.extra = {**server.extra, "image": image.__dict__}
    for key, value in fields.items():
        setattr(server, key, value)


# The migration record's status once each resize task ends.
_MIGRATION_STATUS = {TaskState.RESIZE_PREP: "finished", TaskState.RESIZE_CONFIRMING: "confirmed",
                     TaskState.RESIZE_REVERTING: "reverted"}


def finish(s: Session, server: m.Server, task: str, failed: bool = False) -> None:
    """What a finished (or failed) task changes besides the states: flavors and the
    migration record after a resize."""
    known = TaskState(task) if task in TaskState._value2member_map_ else None
    status = _MIGRATION_STATUS.get(known) if known is not None else None
    if failed and status is not None:
        status = "error"
    migration = s.scalar(select(m.Migration).where(m.Migration.server_id == server.id)
                         .order_by(m.Migration.id.desc()).limit(1))
    if status and migration is not None and migration.status not in ("confirmed",
                                                                      "reverted", "error"):
        migration.status = status
        migration.updated_at = utcnow()
    args = server.extra.get("task_args") or {}
    extra = {k: v for k, v in server.extra.items() if k != "task_args"}
    if task == TaskState.RESIZE_PREP:
        extra["old_flavor"] = args.get("old_flavor", server.flavor)
        extra["resize_from"] = args.get("old_vm_state", "active")
        server.flavor = args["new_flavor"]
        server.flavor_id = args["new_flavor"]["id"]
    elif task in (TaskState.RESIZE_CONFIRMING, TaskState.RESIZE_REVERTING):
        if task == TaskState.RESIZE_REVERTING and "old_flavor" in extra:
            server.flavor = extra["old_flavor"]
            server.flavor_id = extra["old_flavor"]["id"]
        extra.pop("old_flavor", None)
        extra.pop("resize_from", None)
    server.extra = extra
