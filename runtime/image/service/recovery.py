"""Recovery when the image service starts: uploads and imports a killed API process
left half done must not stay stuck.

A process killed mid-upload leaves its image ``saving`` (``uploading`` for data being
staged) and a partial file; one killed mid-import leaves the image ``importing`` and its
task ``processing``. Nothing would ever finish them. At start, the work no live process
holds (see runtime/image/locks.py) is settled as a failure of that upload or import
would have been: the image goes back to ``queued`` (``uploading`` when staged data is
still there, for another import), the task fails, and partial files no writer holds
are removed. Work another live worker is doing is left alone, so every worker of a
multi-process server may run this as it starts.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from runtime.common.db import utcnow
from runtime.image import models as m
from runtime.image.drivers.base import Store
from runtime.image.locks import held
from runtime.image.service.core import Images
from runtime.image.service.importing import FAILED, IMPORTING, LEASE_SUFFIX, TASK_TTL
from runtime.image.states import Status, TaskStatus, task_transition, transition

log = logging.getLogger("haneul.image.recovery")

STOPPED = "The API process running this task stopped before the task finished."


def recover(svc: Images) -> None:
    for store in [*svc.stores.values(), svc.staging]:
        for name in store.clean_partials():
            log.warning("removed partial image data %s from store %s: its writer is gone",
                        name, store.name)
    _fail_orphaned_tasks(svc)
    with svc.read() as s:
        stuck = list(s.execute(select(m.Image.id, m.Image.status).where(
            m.Image.status.in_([Status.SAVING, Status.UPLOADING, Status.IMPORTING]))))
    for image_id, status in stuck:
        _settle(svc, image_id, Status(status))
    # Lock files of imports whose process is gone (and whose task was settled above).
    for path in svc.lease_dir.glob(f"*{LEASE_SUFFIX}"):
        held(path, remove_if_free=True)


def _import_running(svc: Images, image_id: str | None = None, task_id: str = "*") -> bool:
    return any(held(p) for p in svc.lease_dir.glob(f"{image_id or '*'}.{task_id}{LEASE_SUFFIX}"))


def _writing(stores: list[Store], image_id: str) -> bool:
    return any(store.busy(image_id) for store in stores)


def _settle(svc: Images, image_id: str, status: Status) -> None:
    stores = list(svc.stores.values())
    if status == Status.SAVING and _writing(stores, image_id):
        return
    if status == Status.UPLOADING and _writing([svc.staging], image_id):
        return
    if status == Status.IMPORTING and (_import_running(svc, image_id)
                                       or _writing(stores, image_id)):
        return
    with svc.write() as s:
        image = s.get(m.Image, image_id)
        staged = s.get(m.ImageStaging, image_id) is not None
        if image is None or image.status != status:
            return  # it moved on meanwhile: someone is working on it
        if status == Status.UPLOADING and staged:
            return  # fully staged, waiting for POST /import: nothing is stuck
        back = Status.UPLOADING if status == Status.IMPORTING and staged else Status.QUEUED
        transition(image, back)
        image.updated_at = utcnow()
        holding = set(s.scalars(select(m.ImageLocation.store)
                                .where(m.ImageLocation.image_id == image_id)))
    # Data renamed into place whose image was never made active is nobody's.
    for name, store in svc.stores.items():
        if name not in holding:
            store.delete(image_id)
    if status == Status.UPLOADING:
        svc.staging.delete(image_id)
    log.warning("image %s was left %s by a stopped API process: now %s", image_id, status,
                back)


def _fail_orphaned_tasks(svc: Images) -> None:
    with svc.read() as s:
        open_tasks = list(s.execute(select(m.ImageTask.id, m.ImageTask.image_id).where(
            m.ImageTask.status.in_([TaskStatus.PENDING, TaskStatus.PROCESSING]))))
    for task_id, image_id in open_tasks:
        if _import_running(svc, task_id=task_id):
            continue
        with svc.write() as s:
            task = s.get(m.ImageTask, task_id)
            if task is None or task.status not in (TaskStatus.PENDING, TaskStatus.PROCESSING):
                continue
            task_transition(task, TaskStatus.FAILURE)
            task.message = STOPPED
            task.updated_at = utcnow()
            task.expires_at = utcnow() + TASK_TTL
            image = s.get(m.Image, image_id) if image_id else None
            if image is not None and image.properties.get(IMPORTING):
                props = dict(image.properties)
                props[FAILED] = ",".join(filter(None, [props.get(FAILED), props[IMPORTING]]))
                props[IMPORTING] = ""
                image.properties = props
        log.warning("import task %s failed: %s", task_id, STOPPED)
