"""Host aggregates. An aggregate's ``availability_zone`` metadata is the zone of its
hosts, as in Nova: adding a host moves it into the zone, removing it moves it back to
the default zone (which is where every host starts)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.common.db import utcnow
from runtime.common.errors import BadRequest, Conflict, NotFound
from runtime.compute import models as m

ZONE_KEY = "availability_zone"


def get(s: Session, aggregate_id: str) -> m.Aggregate:
    found = s.get(m.Aggregate, int(aggregate_id)) if aggregate_id.isdigit() else \
        s.scalar(select(m.Aggregate).where(m.Aggregate.uuid == aggregate_id))
    if found is None:
        raise NotFound(f"Aggregate {aggregate_id} could not be found.")
    return found


def hosts(s: Session, aggregate_id: int) -> list[str]:
    return list(s.scalars(select(m.AggregateHost.host)
                          .where(m.AggregateHost.aggregate_id == aggregate_id)
                          .order_by(m.AggregateHost.host)))


def listing(s: Session) -> list[m.Aggregate]:
    return list(s.scalars(select(m.Aggregate).order_by(m.Aggregate.id)))


def _unique(s: Session, name: str, current: m.Aggregate | None = None) -> None:
    other = s.scalar(select(m.Aggregate).where(m.Aggregate.name == name))
    if other is not None and other is not current:
        raise Conflict(f"Aggregate {name} already exists.")


def create(s: Session, name: str, zone: str | None) -> m.Aggregate:
    _unique(s, name)
    aggregate = m.Aggregate(uuid=str(uuid.uuid4()), name=name,
                            metadata_={ZONE_KEY: zone} if zone else {})
    s.add(aggregate)
    s.flush()
    return aggregate


def _services(s: Session, host: str) -> list[m.Service]:
    # Only compute services take an aggregate's zone; the controller's stay "internal".
    return list(s.scalars(select(m.Service).where(m.Service.host == host,
                                                  m.Service.binary == "nova-compute")))


def _aggregates_of(s: Session, host: str) -> list[m.Aggregate]:
    return list(s.scalars(select(m.Aggregate).join(
        m.AggregateHost, m.AggregateHost.aggregate_id == m.Aggregate.id)
        .where(m.AggregateHost.host == host)))


def _rezone(s: Session, host: str, default_zone: str) -> None:
    """The host's zone: that of the aggregates holding it that name one, or the default."""
    zones = [a.metadata_.get(ZONE_KEY) for a in _aggregates_of(s, host)]
    zone = next((z for z in zones if z), default_zone)
    for service in _services(s, host):
        service.zone = zone


def update(s: Session, aggregate: m.Aggregate, name: str | None, zone: str | None,
           default_zone: str) -> m.Aggregate:
    if name is not None:
        _unique(s, name, aggregate)
        aggregate.name = name
    if zone is not None:
        aggregate.metadata_ = {**aggregate.metadata_, ZONE_KEY: zone}
    aggregate.updated_at = utcnow()
    s.flush()
    for host in hosts(s, aggregate.id):
        _rezone(s, host, default_zone)
    return aggregate


def destroy(s: Session, aggregate: m.Aggregate) -> None:
    if hosts(s, aggregate.id):
        raise BadRequest(f"Cannot remove aggregate {aggregate.id}: it still has hosts.")
    s.delete(aggregate)


def add_host(s: Session, aggregate: m.Aggregate, host: str, default_zone: str) -> None:
    if not _services(s, host):
        raise NotFound(f"Compute host {host} could not be found.")
    if s.get(m.AggregateHost, (aggregate.id, host)) is not None:
        raise Conflict(f"Aggregate {aggregate.id} already has host {host}.")
    zone = aggregate.metadata_.get(ZONE_KEY)
    others = {str(z) for a in _aggregates_of(s, host) if (z := a.metadata_.get(ZONE_KEY))}
    if zone and others - {zone}:
        # A host is in one zone: refuse an aggregate that would put it in a second one.
        raise Conflict(f"Cannot add host {host} to aggregate {aggregate.id}: it is already "
                       f"in availability zone {sorted(others)[0]}.")
    s.add(m.AggregateHost(aggregate_id=aggregate.id, host=host))
    s.flush()
    _rezone(s, host, default_zone)


def remove_host(s: Session, aggregate: m.Aggregate, host: str, default_zone: str) -> None:
    row = s.get(m.AggregateHost, (aggregate.id, host))
    if row is None:
        raise NotFound(f"Cannot remove host {host} from aggregate {aggregate.id}: it is "
                       "not in it.")
    s.delete(row)
    s.flush()
    _rezone(s, host, default_zone)


def set_metadata(s: Session, aggregate: m.Aggregate, metadata: Mapping[str, Any],
                 default_zone: str) -> None:
    """Keys set to null are removed, as in Nova."""
    merged = dict(aggregate.metadata_)
    for key, value in metadata.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    aggregate.metadata_ = merged
    aggregate.updated_at = utcnow()
    s.flush()
    for host in hosts(s, aggregate.id):
        _rezone(s, host, default_zone)
