"""Shared state of the image service and the helpers every area uses."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.common import policy
from runtime.common.config import Config
from runtime.common.context import Context
from runtime.common.db import Database
from runtime.common.errors import BadRequest, NotFound
from runtime.image import models as m
from runtime.image.drivers.base import Store
from runtime.image.drivers.filesystem import RESERVE_BYTES, FilesystemStore
from runtime.image.policies import RULES, visible


def build_stores(config: Config) -> tuple[dict[str, Store], Store]:
    """The configured stores by name, and the staging area glance-direct uses."""
    state = Path(config.state_dir)
    settings = config.image
    stores: dict[str, Store] = {}
    for name, store in settings.stores.items():
        default_path = state / ("images" if name == settings.default_store else f"images-{name}")
        stores[name] = FilesystemStore(name, store.path or default_path, store.description,
                                       store.weight, store.reserve_bytes)
    default = settings.stores.get(settings.default_store)
    staging = FilesystemStore("staging", settings.staging_dir or state / "images-staging",
                              "glance-direct staging area",
                              reserve_bytes=default.reserve_bytes if default else RESERVE_BYTES)
    return stores, staging


class Images:
    """One per app: database access, stores and the pool that runs imports."""

    def __init__(self, db: Database, config: Config,
                 stores: dict[str, Store] | None = None, staging: Store | None = None) -> None:
        self.db = db
        self.config = config
        self.settings = config.image
        if stores is None or staging is None:
            stores, staging = build_stores(config)
        if self.settings.default_store not in stores:
            raise ValueError(f"default_store {self.settings.default_store!r} is not a store")
        self.stores = stores
        self.staging = staging
        # Lock files of running imports (runtime/image/locks.py), beside the staging
        # area: where several API hosts share staging, they share these too.
        staging_dir = self.settings.staging_dir or Path(config.state_dir) / "images-staging"
        self.lease_dir = Path(staging_dir) / ".imports"
        self.lease_dir.mkdir(parents=True, exist_ok=True)
        self.public_url = config.public_url
        # Imports (web-download, glance-download, copy-image) run beside the API.
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="image-import")
        # Hashing and disk writes of uploads, off the event loop (see service/stream.py).
        self.io_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="image-io")

    @property
    def default_store(self) -> Store:
        return self.stores[self.settings.default_store]

    @property
    def multi_store(self) -> bool:
        return len(self.stores) > 1

    def by_weight(self, names: Iterable[str]) -> list[str]:
        """Store names heaviest first (then by name), as Glance orders them."""
        weight = {n: s.weight for n, s in self.stores.items()}
        return sorted(names, key=lambda n: (-weight.get(n, 0), n))

    def store(self, name: str) -> Store:
        try:
            return self.stores[name]
        except KeyError:
            raise BadRequest(f"Unknown store {name!r}.") from None

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self.db.session() as s:
            yield s

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.db.reader() as s:
            yield s


def new_id() -> str:
    return str(uuid.uuid4())


def member_status(s: Session, ctx: Context, image: m.Image) -> str | None:
    """The caller's project's membership status on ``image``, if it is a member."""
    if ctx.project_id is None or image.visibility != "shared" or image.owner == ctx.project_id:
        return None
    row = s.get(m.ImageMember, (image.id, ctx.project_id))
    return row.status if row is not None else None


def target(s: Session, ctx: Context, image: m.Image, **extra: Any) -> dict[str, Any]:
    return {"owner": image.owner, "visibility": image.visibility,
            "member_status": member_status(s, ctx, image), **extra}


def get_image(s: Session, ctx: Context, image_id: str, *, lock: bool = False) -> m.Image:
    """The image if the caller may see it; 404 otherwise (its existence is not told)."""
    stmt = select(m.Image).where(m.Image.id == image_id)
    if lock:
        stmt = stmt.with_for_update()
    image = s.scalar(stmt)
    if image is None or not visible(ctx, target(s, ctx, image)):
        raise NotFound(f"No image found with ID {image_id}")
    return image


def enforce(s: Session, ctx: Context, action: str, image: m.Image | None = None,
            **extra: Any) -> None:
    t = target(s, ctx, image, **extra) if image is not None else dict(extra)
    policy.enforce(RULES, action, ctx, t)


def tags_of(s: Session, image_id: str) -> list[str]:
    rows = s.scalars(select(m.ImageTag.value).where(m.ImageTag.image_id == image_id)
                     .order_by(m.ImageTag.created_at, m.ImageTag.value))
    return list(rows)


def stores_of(svc: Images, s: Session, image_id: str) -> list[str]:
    return svc.by_weight(s.scalars(select(m.ImageLocation.store)
                                   .where(m.ImageLocation.image_id == image_id)))
