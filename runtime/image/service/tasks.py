"""The legacy tasks API (POST /v2/tasks, type ``import``): create an image from
``import_from`` (an http(s) URI, filtered as web-download is). The image is created
with ``image_properties`` and filled by the same import job as web-download; a failed
task removes the image it made."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.common.context import Context
from runtime.common.db import utcnow
from runtime.common.errors import BadRequest, NotFound
from runtime.image import models as m
from runtime.image.locks import Lease
from runtime.image.schemas import ImportRequest
from runtime.image.service import images
from runtime.image.service.core import Images, enforce, new_id
from runtime.image.service.importing import ImportJob, check_uri, import_lease
from runtime.image.states import Status, TaskStatus, transition


def create(svc: Images, ctx: Context, body: Any) -> m.ImageTask:
    if not isinstance(body, dict) or body.get("type") != "import":
        raise BadRequest("Invalid type value: only 'import' tasks are supported.")
    given = body.get("input")
    if not isinstance(given, dict):
        raise BadRequest("Input for the import task is missing.")
    uri = check_uri(svc, given.get("import_from"))
    props = given.get("image_properties") or {}
    if not isinstance(props, dict):
        raise BadRequest("image_properties must be an object.")
    lease: Lease | None = None
    try:
        with svc.write() as s:
            enforce(s, ctx, "add_task")
            image = images.create(svc, s, ctx, props)
            transition(image, Status.IMPORTING)
            now = utcnow()
            task = m.ImageTask(id=new_id(), image_id=None, type="import",
                               status=str(TaskStatus.PENDING), owner=ctx.project_id,
                               user_id=ctx.user_id, request_id=ctx.request_id, input=given,
                               created_at=now, updated_at=now)
            s.add(task)
            s.flush()
            image_id = image.id
            lease = import_lease(svc, image_id, task.id)  # before the commit: see start()
    except BaseException:
        if lease is not None:
            lease.release()
        raise
    req = ImportRequest("web-download", {"uri": uri}, None, False, True)
    job = ImportJob(svc, task.id, image_id, req, [svc.settings.default_store], ctx.token,
                    legacy=True, lease=lease)
    svc.pool.submit(job.run)
    return task


def list_tasks(s: Session, ctx: Context) -> list[m.ImageTask]:
    enforce(s, ctx, "get_tasks")
    return list(s.scalars(select(m.ImageTask).order_by(m.ImageTask.created_at.desc())))


def get(s: Session, ctx: Context, task_id: str) -> m.ImageTask:
    task = s.get(m.ImageTask, task_id)
    if task is None:
        raise NotFound(f"Task with the given id {task_id} was not found")
    enforce(s, ctx, "get_task", None, owner=task.owner)
    return task
