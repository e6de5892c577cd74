"""Shared state of the compute service and the helpers every area uses."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from runtime.common.config import Config
from runtime.common.context import Context
from runtime.common.db import Database
from runtime.common.errors import BadRequest, NotFound
from runtime.common.waiters import Waiters
from runtime.compute import models as m

log = logging.getLogger("haneul.compute")

if TYPE_CHECKING:
    from runtime.network.client import NetworkClient


class ImageInfo(Protocol):
    """What compute reads of an image (runtime.image.client.ImageInfo has it)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def status(self) -> str: ...
    @property
    def disk_format(self) -> str | None: ...
    @property
    def container_format(self) -> str | None: ...
    @property
    def size(self) -> int | None: ...
    @property
    def virtual_size(self) -> int | None: ...
    @property
    def checksum(self) -> str | None: ...
    @property
    def min_disk(self) -> int: ...
    @property
    def min_ram(self) -> int: ...
    @property
    def owner(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...
    @property
    def properties(self) -> dict[str, str]: ...


class ImagePage(Protocol):
    """One page of an image listing (runtime.image.client.ImagePage)."""

    @property
    def images(self) -> Sequence[ImageInfo]: ...
    @property
    def next_marker(self) -> str | None: ...


class ImageLookup(Protocol):
    """The image service as compute calls it (runtime.image.client.ImageClient), always
    with the caller's context, so Glance's visibility and policy apply."""

    def get(self, ctx: Context, image_id: str) -> ImageInfo: ...

    def list(self, ctx: Context, query: Mapping[str, str] | Iterable[tuple[str, str]] = (),
             *, limit: int | None = None, marker: str | None = None) -> ImagePage: ...

    def update_properties(self, ctx: Context, image_id: str, values: Mapping[str, str],
                          *, remove: Iterable[str] = (), purge: bool = False) -> ImageInfo:
        ...

    def delete(self, ctx: Context, image_id: str) -> None: ...

    def open_data(self, ctx: Context, image_id: str) -> Iterator[bytes]: ...

    async def create_from_stream(self, ctx: Context, metadata: dict[str, Any],
                                 chunks: AsyncIterator[bytes],
                                 size: int | None = None) -> ImageInfo:
        ...


class Compute:
    """One per app: database access, settings, the image service and agent wake-ups."""

    def __init__(self, db: Database, config: Config,
                 images: Callable[[], ImageLookup | None] | None = None,
                 network: Callable[[], NetworkClient | None] | None = None) -> None:
        self.db = db
        self.config = config
        self.settings = config.compute
        self.public_url = config.public_url
        self._images = images or (lambda: None)
        self._network = network or (lambda: None)
        self.waiters = Waiters()
        self._secret: str | None = None

    @property
    def base_url(self) -> str:
        return self.public_url + "/compute"

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction; long-polling agents are woken once it commits, then
        the work queued with :func:`after_commit` runs (calls into other services,
        which must not wait for this transaction's SQLite write lock)."""
        with self.db.session() as s:
            yield s
            hooks = s.info.pop(AFTER_COMMIT, [])
        self.waiters.notify()
        for hook in hooks:
            try:
                hook(self)
            except Exception:
                log.exception("work after a compute transaction failed")

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.db.reader() as s:
            yield s

    def images(self) -> ImageLookup:
        found = self._images()
        if found is None:
            raise BadRequest("The image service is not available on this API node.")
        return found

    def network(self) -> NetworkClient | None:
        """The network service, when this cloud runs it (else servers get no NICs)."""
        if "network" not in self.config.enabled_services:
            return None
        return self._network()

    def agent_secret(self) -> str:
        """The shared secret of the internal API (config, else a file in the state dir)."""
        if self.settings.agent_secret:
            return self.settings.agent_secret
        if self._secret is None:
            self._secret = load_or_create_secret(Path(self.config.state_dir))
        return self._secret

    async def wait_for_change(self, host: str, since: int, timeout: float) -> int:
        """The host's generation once it differs from ``since``, or at ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        event = self.waiters.add()
        try:
            while True:
                event.clear()
                current = self.generation(host)
                remaining = deadline - loop.time()
                if current != since or remaining <= 0:
                    return current
                # Writes by other API processes only show in the database: look again
                # at least twice a second.
                with suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), min(0.5, remaining))
        finally:
            self.waiters.discard(event)

    async def wait_until(self, check: Callable[[], bool], timeout: float) -> bool:
        """Whether ``check()`` became true within ``timeout`` seconds; it is tried again
        after every write in this process and at least twice a second."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        event = self.waiters.add()
        try:
            while True:
                event.clear()
                if check():
                    return True
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return False
                with suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), min(0.5, remaining))
        finally:
            self.waiters.discard(event)

    def generation(self, host: str) -> int:
        with self.read() as s:
            value = s.scalar(select(m.Service.generation).where(
                m.Service.host == host, m.Service.binary == "nova-compute"))
        return int(value or 0)


SECRET_FILE = "compute-agent.secret"
AFTER_COMMIT = "haneul.compute.after_commit"


def after_commit(s: Session, hook: Callable[[Compute], None]) -> None:
    """Run ``hook`` once the transaction of ``s`` (opened by :meth:`Compute.write`)
    has committed; errors are logged, never raised."""
    s.info.setdefault(AFTER_COMMIT, []).append(hook)


def load_or_create_secret(state_dir: Path) -> str:
    path = state_dir / SECRET_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    state_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    # O_EXCL: when two processes race, both end up reading the winner's secret.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secret + "\n")
    return secret


def touch_host(s: Session, host: str | None) -> None:
    """Tell the host's agent that something of its servers changed."""
    if host:
        s.execute(update(m.Service).where(m.Service.host == host,
                                          m.Service.binary == "nova-compute")
                  .values(generation=m.Service.generation + 1))


def get_server(s: Session, ctx: Context, server_id: str, *, for_update: bool = False) -> m.Server:
    """The server if the caller's project owns it (any server for admins); else 404."""
    server = s.get(m.Server, server_id)
    if server is None or (not ctx.is_admin and server.project_id != ctx.project_id):
        raise NotFound(f"Instance {server_id} could not be found.")
    return server
