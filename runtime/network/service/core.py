"""Shared state of the network service and the helpers every resource uses."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from runtime.common import policy
from runtime.common.config import Config
from runtime.common.context import Context
from runtime.common.db import Database, utcnow
from runtime.common.waiters import Waiters
from runtime.network import models as m
from runtime.network.errors import BadRequest, Conflict, NeutronError
from runtime.network.policies import RULES
from runtime.network.settings import NetworkSettings


class Standard(Protocol):
    id: str
    project_id: str
    revision_number: int
    created_at: datetime
    updated_at: datetime


class Network:
    """One per app: the database, the settings and where the API is published."""

    def __init__(self, db: Database, config: Config) -> None:
        self.db = db
        self.config = config
        self.settings: NetworkSettings = config.network
        self.base_url = config.public_url + "/networking"
        self.waiters = Waiters()

    @contextmanager
    def write(self, *, bump: bool = True) -> Iterator[Session]:
        """A write transaction. Unless ``bump`` is false (an agent's heartbeat or status
        report, which changes nothing an agent builds), it moves the generation on in the
        same transaction and wakes the long-polling agents once it commits."""
        with self.db.session() as s:
            yield s
            if bump:
                _bump_generation(s)
        if bump:
            self.waiters.notify()

    def generation(self) -> int:
        with self.read() as s:
            value = s.scalar(select(m.Generation.value).where(m.Generation.id == 1))
        return int(value or 0)

    async def wait_for_change(self, since: int, timeout: float) -> int:
        """The generation once it differs from ``since``, or at ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        event = self.waiters.add()
        try:
            while True:
                event.clear()
                current = self.generation()
                remaining = deadline - loop.time()
                if current != since or remaining <= 0:
                    return current
                # Other API processes' writes only show in the database: look again at
                # least twice a second.
                with suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), min(0.5, remaining))
        finally:
            self.waiters.discard(event)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.db.reader() as s:
            yield s


def _bump_generation(s: Session) -> None:
    done = s.execute(update(m.Generation).where(m.Generation.id == 1)
                     .values(value=m.Generation.value + 1))
    if not getattr(done, "rowcount", 1):  # a schema made by create_all (tests): no row yet
        s.add(m.Generation(id=1, value=1))


def new_id() -> str:
    return str(uuid.uuid4())


def iso(ts: datetime | None) -> str | None:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ") if ts is not None else None


def allowed(ctx: Context, action: str, target: Mapping[str, Any]) -> bool:
    rule = RULES[action]
    return ctx.authenticated and rule(ctx, target)


def enforce(ctx: Context, action: str, target: Mapping[str, Any] | None = None) -> None:
    try:
        policy.enforce(RULES, action, ctx, target or {"project_id": ctx.project_id})
    except NeutronError:
        raise
    except Exception as exc:  # policy's Forbidden/Unauthorized: keep status, add a type
        status = getattr(exc, "status", 403)
        message = (f"rule:{action} is disallowed by policy" if status == 403
                   else getattr(exc, "message", str(exc)))
        raise NeutronError(message, status=status,
                           type="PolicyNotAuthorized" if status == 403 else None) from None


def owner_project(ctx: Context, data: dict[str, Any]) -> str:
    """The project a new resource belongs to: the caller's, or (admins) the one named."""
    project = data.pop("project_id", None)
    tenant = data.pop("tenant_id", None)
    if project and tenant and project != tenant:
        raise BadRequest("'project_id' and 'tenant_id' do not match")
    asked = project or tenant
    if asked and asked != ctx.project_id:
        if not allowed(ctx, "create_for_other_project", {}):
            raise BadRequest("Specifying 'project_id' or 'tenant_id' other than the "
                             "authenticated project in request requires admin privileges")
        return str(asked)
    return ctx.project_id or ""


def standard_view(row: Standard, tags: list[str]) -> dict[str, Any]:
    return {"project_id": row.project_id, "tenant_id": row.project_id,
            "revision_number": row.revision_number, "created_at": iso(row.created_at),
            "updated_at": iso(row.updated_at), "tags": sorted(tags)}


def bump(row: Standard) -> None:
    """A change clients (and agents) can see: the revision moves on."""
    row.revision_number += 1
    row.updated_at = utcnow()


def check_revision(row: Standard, if_match: str | None) -> None:
    """``If-Match: revision_number=N`` fails with 412 unless the row is at revision N."""
    if not if_match:
        return
    for part in if_match.split(","):
        key, _, value = part.strip().partition("=")
        if key == "revision_number":
            if not value.isdigit():
                raise BadRequest(f"Invalid If-Match header {if_match}")
            if int(value) != row.revision_number:
                raise NeutronError(
                    f"Constrained revision {value} does not match current revision "
                    f"{row.revision_number}", status=412, type="RevisionNumberConstraintFailed")


def tags_for(s: Session, ids: Iterable[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    wanted = list(ids)
    for i in range(0, len(wanted), 500):
        chunk = wanted[i:i + 500]
        for rid, tag in s.execute(select(m.Tag.resource_id, m.Tag.tag)
                                  .where(m.Tag.resource_id.in_(chunk))):
            out[rid].append(tag)
    return out


def conflict(message: str, type: str) -> Conflict:
    return Conflict(message, type=type)


def drop_tags(s: Session, ids: Iterable[str]) -> None:
    wanted = list(ids)
    if wanted:
        s.execute(delete(m.Tag).where(m.Tag.resource_id.in_(wanted)))
