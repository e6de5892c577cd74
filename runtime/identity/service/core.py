"""Shared state of the identity service and the helpers every area uses."""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.orm import Session

from runtime.common.config import Config
from runtime.common.db import Base, Database
from runtime.common.errors import NotFound
from runtime.identity import models as m
from runtime.identity.keys import KeyRepository
from runtime.identity.passwords import VerifiedPasswords
from runtime.identity.tokens import TokenCodec

T = TypeVar("T", bound=Base)

# The parent of every domain, as in Keystone; never shown to API users.
ROOT_DOMAIN_ID = "<<keystone.domain.root>>"
DEFAULT_DOMAIN_ID = "default"


class Identity:
    """One per app: database access, token keys and the caches tied to them."""

    def __init__(self, db: Database, config: Config) -> None:
        self.db = db
        self.config = config
        self.settings = config.identity
        self.keys = KeyRepository(config.key_repository, config.identity.max_active_keys)
        self.codec = TokenCodec(self.keys)
        self.passwords = VerifiedPasswords(config.identity.password_cache_size)
        self.public_url = config.public_url
        # token -> (generation, validated token); see runtime.identity.service.auth
        self.token_cache: OrderedDict[str, tuple[int, Any]] = OrderedDict()
        # (user, scope...) -> (generation, ScopeGrant): roles, catalog and names shared
        # by every token of one user on one scope.
        self.scope_cache: OrderedDict[tuple[Any, ...], tuple[int, Any]] = OrderedDict()
        self._generation = GenerationReader(db)

    @property
    def base_url(self) -> str:
        return self.public_url + "/identity"

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction that also tells every token cache to refresh."""
        with self.db.session() as s:
            yield s
            s.execute(text("UPDATE identity_generation SET value = value + 1 WHERE id = 1"))

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.db.reader() as s:
            yield s

    def generation(self) -> int:
        return self._generation.read()

    def ensure_generation_row(self) -> None:
        with self.db.session() as s:
            if s.get(m.Generation, 1) is None:
                s.add(m.Generation(id=1, value=0))


class GenerationReader:
    """Reads the identity generation on every token validation, so it must be cheap.

    With SQLite a dedicated autocommit connection answers in microseconds (in WAL mode a
    lone SELECT sees the last commit of any process); other databases use the pool.
    """

    QUERY = "SELECT value FROM identity_generation WHERE id = 1"

    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._raw: sqlite3.Connection | None = None
        if db.url.startswith("sqlite") and ":memory:" not in db.url:
            path = db.url.split("///", 1)[-1]
            self._raw = sqlite3.connect(path, check_same_thread=False, isolation_level=None,
                                        timeout=30)

    def read(self) -> int:
        if self._raw is not None:
            with self._lock:
                row = self._raw.execute(self.QUERY).fetchone()
        else:
            with self.db.engine.connect() as c:
                row = c.exec_driver_sql(self.QUERY).fetchone()
        return int(row[0]) if row else 0


def get_or_404(s: Session, model: type[T], id_: str, what: str) -> T:
    obj = s.get(model, id_)
    if obj is None:
        raise NotFound(f"Could not find {what}: {id_}.")
    return obj
