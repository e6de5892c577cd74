"""The controller's own services, as Nova lists them: nova-scheduler and nova-conductor.

Haneul schedules inside every API process and takes the compute agents' reports there,
so each API node is its own scheduler and conductor. os-services, os-hosts and
os-availability-zone list them under the node's host name in Nova's "internal" zone.

A node's rows appear when a compute agent first registers through it (so "some service
is listed" still means "a compute host is there"), and their heartbeat is refreshed by
every agent heartbeat the node takes and whenever it is asked about services: a node
that answers is up; one that stopped answering goes down after service_down_time.
"""

from __future__ import annotations

import socket
import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from runtime.common.db import utcnow
from runtime.compute import models as m
from runtime.compute.service.core import Compute

COMPUTE = "nova-compute"
BINARIES = ("nova-scheduler", "nova-conductor")
INTERNAL_ZONE = "internal"


def controller_host(comp: Compute) -> str:
    """This node's name, as its compute agent would register it."""
    return comp.settings.host or socket.gethostname()


def topic(binary: str) -> str:
    """Nova's topic of a service binary ("compute" for nova-compute), os-hosts' word."""
    return binary.removeprefix("nova-")


def register(comp: Compute, s: Session, now: datetime | None = None) -> None:
    """Create this node's scheduler and conductor rows if missing; beat their hearts."""
    now = now or utcnow()
    host = controller_host(comp)
    have = {svc.binary: svc for svc in s.scalars(
        select(m.Service).where(m.Service.host == host, m.Service.binary.in_(BINARIES)))}
    for binary in BINARIES:
        svc = have.get(binary)
        if svc is None:
            svc = m.Service(uuid=str(uuid.uuid4()), host=host, binary=binary,
                            zone=INTERNAL_ZONE, disabled=False, forced_down=False,
                            generation=0)
            s.add(svc)
        svc.last_seen_at = now
        svc.updated_at = now
    s.flush()


def heartbeat(comp: Compute) -> None:
    """Refresh this node's rows, if it has any (a listing of services calls this)."""
    now = utcnow()
    with comp.db.session() as s:
        s.execute(update(m.Service).where(m.Service.host == controller_host(comp),
                                          m.Service.binary.in_(BINARIES))
                  .values(last_seen_at=now, updated_at=now))
