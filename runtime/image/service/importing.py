"""Interoperable image import (POST /v2/images/{id}/import) and its tasks.

The request is checked and recorded (a task, the image moved to ``importing``) in the
API call, which answers 202; the copying runs on the service's import pool. Methods:
``glance-direct`` (data staged by PUT /stage), ``web-download`` (an http(s) URI),
``glance-download`` (an image of another region's image service, found through the
caller's catalog) and ``copy-image`` (an active image into more stores).
"""

from __future__ import annotations

import fnmatch
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from runtime.common.context import Context
from runtime.common.db import utcnow
from runtime.common.errors import BadRequest, Conflict
from runtime.image import models as m
from runtime.image.drivers.base import CHUNK, StoreFull
from runtime.image.locks import Lease
from runtime.image.schemas import ImportRequest
from runtime.image.service.core import Images, enforce, get_image, new_id
from runtime.image.service.data import activate
from runtime.image.states import Status, TaskStatus, task_transition, transition

log = logging.getLogger("haneul.image.import")

TASK_TYPE = "api_image_import"
TASK_TTL = timedelta(hours=48)
# Properties glance-download copies from the source image (Glance's default).
DOWNLOAD_PROPERTIES = ("hw_*", "trait:*", "os_distro", "os_secure_boot", "os_type")
IMPORTING = "os_glance_importing_to_stores"
FAILED = "os_glance_failed_import"
LEASE_SUFFIX = ".lock"


def methods(svc: Images) -> list[str]:
    found = ["glance-direct", "web-download", "glance-download"]
    if svc.multi_store:
        found.append("copy-image")
    return found


def _targets(svc: Images, req: ImportRequest, image: m.Image, have: list[str]) -> list[str]:
    if req.all_stores:
        wanted = sorted(svc.stores)
    elif req.stores:
        for name in req.stores:
            svc.store(name)
        wanted = list(dict.fromkeys(req.stores))
    elif req.method == "copy-image":
        raise BadRequest("copy-image needs the stores to copy into.")
    else:
        wanted = [svc.settings.default_store]
    if req.method == "copy-image":
        wanted = [w for w in wanted if w not in have]
        if not wanted:
            raise Conflict(f"Image {image.id} is already present in every store asked for.")
    return wanted


def check_uri(svc: Images, uri: Any) -> str:
    if not isinstance(uri, str) or not uri:
        raise BadRequest("web-download needs a 'uri'.")
    parts = urllib.parse.urlsplit(uri)
    settings = svc.settings
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    if (parts.scheme not in settings.web_download_allowed_schemes or not parts.hostname
            or port not in settings.web_download_allowed_ports
            or parts.hostname in settings.web_download_disallowed_hosts):
        raise BadRequest(f"URI for web-download does not pass filtering: {uri}")
    return uri


def _check_method(svc: Images, image: m.Image, req: ImportRequest, staged: bool) -> None:
    if req.method not in methods(svc):
        raise BadRequest(f"Import method {req.method} is not enabled.")
    if req.method == "glance-direct":
        if image.status != Status.UPLOADING or not staged:
            raise Conflict(f"Image {image.id} has no staged data: PUT it to "
                           f"/v2/images/{image.id}/stage first.")
    elif req.method == "copy-image":
        if image.status != Status.ACTIVE:
            raise Conflict("Only active images can be copied into other stores.")
    elif image.status != Status.QUEUED:
        raise Conflict(f"Image {image.id} is {image.status}: only a queued image can be "
                       f"imported with {req.method}.")
    if req.method == "web-download":
        check_uri(svc, req.params.get("uri"))
    if req.method == "glance-download":
        source = req.params.get("glance_image_id")
        if not isinstance(source, str) or not _uuid_like(source):
            raise BadRequest("Remote image id does not look like a UUID: "
                             f"{source}. The image id does not look like a UUID.")
        if not isinstance(req.params.get("glance_region"), str):
            raise BadRequest("glance-download needs 'glance_region'.")


def _uuid_like(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def start(svc: Images, ctx: Context, image_id: str, req: ImportRequest) -> str:
    """Check and record an import; the work is queued on the pool. Returns the task id."""
    task_id = new_id()
    # Held by the job until it ends, and taken before the task is committed, so that a
    # process starting meanwhile never takes this import for an abandoned one.
    lease = import_lease(svc, image_id, task_id)
    try:
        stores = _record(svc, ctx, image_id, req, task_id)
    except BaseException:
        lease.release()
        raise
    job = ImportJob(svc, task_id, image_id, req, stores, ctx.token, lease=lease)
    svc.pool.submit(job.run)
    return task_id


def _record(svc: Images, ctx: Context, image_id: str, req: ImportRequest,
            task_id: str) -> list[str]:
    """The image marked importing and its task pending; the stores to import into."""
    with svc.write() as s:
        image = get_image(s, ctx, image_id, lock=True)
        enforce(s, ctx, "import_image", image)
        staged = s.get(m.ImageStaging, image.id) is not None
        _check_method(svc, image, req, staged)
        have = [loc.store for loc in s.scalars(
            select(m.ImageLocation).where(m.ImageLocation.image_id == image.id))]
        stores = _targets(svc, req, image, have)
        props = dict(image.properties)
        props[IMPORTING] = ",".join(stores)
        props[FAILED] = ""
        image.properties = props
        if req.method != "copy-image":
            transition(image, Status.IMPORTING)
        image.updated_at = utcnow()
        now = utcnow()
        s.add(m.ImageTask(
            id=task_id, image_id=image.id, type=TASK_TYPE, status=str(TaskStatus.PENDING),
            owner=ctx.project_id, user_id=ctx.user_id, request_id=ctx.request_id,
            input={"image_id": image.id,
                   "import_req": {"method": {"name": req.method, **req.params},
                                  "stores": stores, "all_stores": req.all_stores,
                                  "all_stores_must_succeed": req.all_stores_must_succeed},
                   "backend": stores},
            created_at=now, updated_at=now))
    return stores


def import_lease(svc: Images, image_id: str, task_id: str) -> Lease:
    return Lease(svc.lease_dir / f"{image_id}.{task_id}{LEASE_SUFFIX}")


Source = Callable[[], Iterator[bytes]]


class ImportJob:
    """One import, run on the pool; every outcome is written to the image and task."""

    def __init__(self, svc: Images, task_id: str, image_id: str, req: ImportRequest,
                 stores: list[str], token: str | None, legacy: bool = False,
                 lease: Lease | None = None) -> None:
        self.svc, self.task_id, self.image_id = svc, task_id, image_id
        self.req, self.stores, self.token = req, stores, token
        self.lease = lease
        # A legacy task (POST /v2/tasks) made the image itself: it names the image on
        # success and removes it on failure.
        self.legacy = legacy

    def run(self) -> None:
        try:
            self._set_task(TaskStatus.PROCESSING)
            source = self._source()
            self._copy(source)
        except Exception as exc:  # every failure is the task's, never the pool's
            log.warning("import of image %s (%s) failed: %s", self.image_id, self.req.method,
                        exc)
            self._fail(str(exc) or exc.__class__.__name__)
        finally:
            if self.lease is not None:
                self.lease.release()

    # -- sources ----------------------------------------------------------------------------

    def _source(self) -> Source:
        method = self.req.method
        if method == "glance-direct":
            with self.svc.read() as s:
                staged = s.get(m.ImageStaging, self.image_id)
                if staged is None:
                    raise RuntimeError("the staged data is gone")
                key = staged.key
            return lambda: self.svc.staging.read(key)
        if method == "copy-image":
            with self.svc.read() as s:
                loc = s.scalar(select(m.ImageLocation).where(
                    m.ImageLocation.image_id == self.image_id))
                if loc is None:
                    raise RuntimeError("the image has no data to copy")
                store, key = self.svc.stores[loc.store], loc.key
            return lambda: store.read(key)
        if method == "web-download":
            uri = str(self.req.params["uri"])
            return lambda: _http_chunks(uri, {})
        return self._remote_glance()

    def _remote_glance(self) -> Source:
        params = self.req.params
        region = params.get("glance_region")
        interface = params.get("glance_service_interface") or "public"
        headers = {"X-Auth-Token": self.token or ""}
        catalog_url = self.svc.public_url + "/identity/v3/auth/catalog"
        catalog = json.loads(b"".join(_http_chunks(catalog_url, headers)))["catalog"]
        endpoint = next((ep["url"] for svc in catalog if svc.get("type") == "image"
                         for ep in svc.get("endpoints", [])
                         if ep.get("region_id", ep.get("region")) == region
                         and ep.get("interface") == interface), None)
        if endpoint is None:
            raise RuntimeError(f"no image service in region {region!r} ({interface})")
        base = endpoint.rstrip("/") + "/v2/images/" + str(params["glance_image_id"])
        remote = json.loads(b"".join(_http_chunks(base, headers)))
        if remote.get("status") != "active":
            raise RuntimeError(f"remote image is {remote.get('status')}, not active")
        with self.svc.write() as s:
            image = s.get(m.Image, self.image_id)
            if image is None:
                raise RuntimeError("the image was deleted")
            props = dict(image.properties)
            props.update({k: str(v) for k, v in remote.items()
                          if any(fnmatch.fnmatchcase(k, p) for p in DOWNLOAD_PROPERTIES)})
            image.properties = props
            image.disk_format = remote.get("disk_format")
            image.container_format = remote.get("container_format")
        return lambda: _http_chunks(base + "/file", headers)

    # -- copying ------------------------------------------------------------------------------

    def _copy(self, source: Source) -> None:
        done: dict[str, Any] = {}
        failed: list[str] = []
        for name in self.stores:
            store = self.svc.stores[name]
            try:
                with store.writer(self.image_id) as writer:
                    for chunk in source():
                        writer.write(chunk)
                        if writer.size > self.svc.settings.image_size_cap:
                            raise StoreFull("the image is larger than the size cap")
                    done[name] = writer.commit()
            except Exception as exc:
                log.warning("import of %s into store %s failed: %s", self.image_id, name, exc)
                failed.append(name)
                if self.req.all_stores_must_succeed or self.req.method != "copy-image":
                    for stored_name, stored in done.items():
                        self.svc.stores[stored_name].delete(stored.key)
                    raise
        self._finish(done, failed)

    def _finish(self, done: dict[str, Any], failed: list[str]) -> None:
        try:
            with self.svc.write() as s:
                image = s.get(m.Image, self.image_id)
                if image is None:
                    raise RuntimeError("the image was deleted during the import")
                for name, stored in done.items():
                    if image.status == Status.ACTIVE:
                        s.merge(m.ImageLocation(image_id=image.id, store=name, key=stored.key))
                    else:
                        activate(self.svc, s, image, name, stored)
                props = dict(image.properties)
                props[IMPORTING] = ""
                props[FAILED] = ",".join(failed)
                image.properties = props
                staged = s.get(m.ImageStaging, image.id)
                staged_key = staged.key if staged is not None else None
                if staged is not None:
                    s.delete(staged)
                task = s.get(m.ImageTask, self.task_id)
                if task is not None:
                    task_transition(task, TaskStatus.SUCCESS)
                    task.result = {"image_id": image.id}
                    if self.legacy:
                        task.image_id = image.id
                    task.updated_at = utcnow()
                    task.expires_at = utcnow() + TASK_TTL
        except Exception:
            for name, stored in done.items():
                self.svc.stores[name].delete(stored.key)
            raise
        if staged_key is not None:
            self.svc.staging.delete(staged_key)

    # -- bookkeeping ----------------------------------------------------------------------------

    def _set_task(self, status: TaskStatus, message: str = "") -> None:
        with self.svc.write() as s:
            task = s.get(m.ImageTask, self.task_id)
            if task is not None:
                task_transition(task, status)
                task.message = message
                task.updated_at = utcnow()
                if status in (TaskStatus.SUCCESS, TaskStatus.FAILURE):
                    task.expires_at = utcnow() + TASK_TTL

    def _fail(self, message: str) -> None:
        with self.svc.write() as s:
            image = s.get(m.Image, self.image_id)
            if image is not None and self.legacy:
                s.delete(image)
            elif image is not None:
                props = dict(image.properties)
                props[IMPORTING] = ""
                props[FAILED] = ",".join(self.stores)
                image.properties = props
                if image.status == Status.IMPORTING:
                    # Staged data stays for another try; other methods start again.
                    back = Status.UPLOADING if s.get(m.ImageStaging, image.id) else Status.QUEUED
                    transition(image, back)
                image.updated_at = utcnow()
        self._set_task(TaskStatus.FAILURE, message)


def _http_chunks(url: str, headers: dict[str, str]) -> Iterator[bytes]:
    request = urllib.request.Request(url, headers={"User-Agent": "haneul-image", **headers})
    try:
        response = urllib.request.urlopen(request, timeout=60)
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"{url} answered {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise RuntimeError(f"could not fetch {url}: {exc}") from None
    with response:
        while True:
            chunk = response.read(CHUNK)
            if not chunk:
                return
            yield chunk


def tasks_of(s: Any, ctx: Context, image_id: str) -> list[m.ImageTask]:
    image = get_image(s, ctx, image_id)
    enforce(s, ctx, "get_image_tasks", image)
    return list(s.scalars(select(m.ImageTask).where(m.ImageTask.image_id == image.id)
                          .order_by(m.ImageTask.created_at)))
