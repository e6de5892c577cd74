"""Choosing a compute host: filters drop the hosts that cannot take a server, weighers
order the rest (Nova's filter scheduler, without placement).

:func:`select_host` is pure: it takes host states and a request and returns a host
name, so every rule is unit-tested. :func:`host_states` reads them from the database
inside the transaction that then assigns the server, so two concurrent requests never
both take the last room on a host.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.common.config import ComputeSettings
from runtime.common.db import utcnow
from runtime.compute import models as m


@dataclass(frozen=True)
class HostState:
    host: str
    zone: str
    enabled: bool
    up: bool
    vcpus: int
    memory_mb: int
    disk_gb: int
    vcpus_used: int = 0
    memory_mb_used: int = 0
    disk_gb_used: int = 0
    servers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Request:
    vcpus: int
    memory_mb: int
    disk_gb: int
    zone: str | None = None
    # Server-group policy and the hosts its members already run on.
    group_policy: str | None = None
    group_hosts: frozenset[str] = frozenset()
    max_server_per_host: int | None = None
    group_host_counts: dict[str, int] = field(default_factory=dict)
    forced_host: str | None = None


@dataclass(frozen=True)
class Ratios:
    cpu: float = 16.0
    ram: float = 1.5
    disk: float = 1.0


Filter = Callable[[HostState, Request, Ratios], bool]


def enabled_filter(h: HostState, _r: Request, _x: Ratios) -> bool:
    """ComputeFilter: the service is enabled and up."""
    return h.enabled and h.up


def zone_filter(h: HostState, r: Request, _x: Ratios) -> bool:
    return r.zone is None or h.zone == r.zone


def ram_filter(h: HostState, r: Request, x: Ratios) -> bool:
    return h.memory_mb * x.ram - h.memory_mb_used >= r.memory_mb


def disk_filter(h: HostState, r: Request, x: Ratios) -> bool:
    return h.disk_gb * x.disk - h.disk_gb_used >= r.disk_gb


def cpu_filter(h: HostState, r: Request, x: Ratios) -> bool:
    return h.vcpus * x.cpu - h.vcpus_used >= r.vcpus


def group_filter(h: HostState, r: Request, _x: Ratios) -> bool:
    """(Anti-)affinity: all members on one host, or each on a host of its own."""
    if r.group_policy == "affinity" or r.group_policy == "soft-affinity":
        return r.group_policy == "soft-affinity" or not r.group_hosts or h.host in r.group_hosts
    if r.group_policy == "anti-affinity":
        limit = r.max_server_per_host or 1
        return r.group_host_counts.get(h.host, 0) < limit
    return True


def forced_host_filter(h: HostState, r: Request, _x: Ratios) -> bool:
    return r.forced_host is None or h.host == r.forced_host


FILTERS: tuple[tuple[str, Filter], ...] = (
    ("ComputeFilter", enabled_filter),
    ("AvailabilityZoneFilter", zone_filter),
    ("ForcedHostFilter", forced_host_filter),
    ("RamFilter", ram_filter),
    ("DiskFilter", disk_filter),
    ("VCPUFilter", cpu_filter),
    ("ServerGroupFilter", group_filter),
)


def free_ram(h: HostState, x: Ratios) -> float:
    return h.memory_mb * x.ram - h.memory_mb_used


def weigh(hosts: Iterable[HostState], r: Request, x: Ratios, weigher: str) -> list[HostState]:
    """Best first. spread: most free RAM; pack: least free RAM. Soft (anti-)affinity
    first prefers the hosts its policy likes; the host name breaks ties, so the choice is
    deterministic."""
    sign = -1.0 if weigher == "spread" else 1.0

    def key(h: HostState) -> tuple[int, float, str]:
        soft = 0
        if r.group_policy == "soft-affinity":
            soft = 0 if h.host in r.group_hosts or not r.group_hosts else 1
        elif r.group_policy == "soft-anti-affinity":
            soft = r.group_host_counts.get(h.host, 0)
        return (soft, sign * free_ram(h, x), h.host)

    return sorted(hosts, key=key)


@dataclass(frozen=True)
class Outcome:
    host: str | None
    # Why each filter dropped hosts, for the fault of a server that found none.
    rejected: dict[str, int]


def select_host(hosts: Sequence[HostState], r: Request, x: Ratios,
                weigher: str = "spread") -> Outcome:
    remaining = list(hosts)
    rejected: dict[str, int] = {}
    for name, keep in FILTERS:
        kept = [h for h in remaining if keep(h, r, x)]
        if len(kept) < len(remaining):
            rejected[name] = len(remaining) - len(kept)
        remaining = kept
    if not remaining:
        return Outcome(None, rejected)
    return Outcome(weigh(remaining, r, x, weigher)[0].host, rejected)


def consume(h: HostState, r: Request, server_id: str = "") -> HostState:
    """The host after placing ``r`` on it (for several servers in one request)."""
    return replace(h, vcpus_used=h.vcpus_used + r.vcpus, servers=h.servers | {server_id},
                   memory_mb_used=h.memory_mb_used + r.memory_mb,
                   disk_gb_used=h.disk_gb_used + r.disk_gb)


def ratios(settings: ComputeSettings) -> Ratios:
    return Ratios(settings.cpu_allocation_ratio, settings.ram_allocation_ratio,
                  settings.disk_allocation_ratio)


def is_up(service: m.Service, settings: ComputeSettings, now: datetime | None = None) -> bool:
    if service.forced_down or service.last_seen_at is None:
        return False
    now = now or utcnow()
    return now - service.last_seen_at <= timedelta(seconds=settings.service_down_time)


def host_states(s: Session, settings: ComputeSettings) -> list[HostState]:
    """Every registered compute host with what its servers already use."""
    used: dict[str, list[dict[str, int]]] = {}
    members: dict[str, set[str]] = {}
    for host, server_id, flavor in s.execute(
            select(m.Server.host, m.Server.id, m.Server.flavor).where(m.Server.host.is_not(None))):
        used.setdefault(host, []).append(flavor)
        members.setdefault(host, set()).add(server_id)
    out = []
    rows = s.execute(select(m.Service, m.Node).join(m.Node, m.Node.service_id == m.Service.id)
                     .where(m.Service.binary == "nova-compute"))
    for service, node in rows:
        flavors = used.get(service.host, [])
        out.append(HostState(
            host=service.host, zone=service.zone, enabled=not service.disabled,
            up=is_up(service, settings), vcpus=node.vcpus, memory_mb=node.memory_mb,
            disk_gb=node.local_gb,
            vcpus_used=sum(int(f.get("vcpus", 0)) for f in flavors),
            memory_mb_used=sum(int(f.get("ram", 0)) for f in flavors),
            disk_gb_used=sum(int(f.get("disk", 0)) + int(f.get("ephemeral", 0))
                             for f in flavors),
            servers=frozenset(members.get(service.host, set()))))
    return out


def no_valid_host_message(outcome: Outcome, hosts: int) -> str:
    if hosts == 0:
        return "No valid host was found. There are no compute hosts registered."
    reasons = ", ".join(f"{name} removed {n}" for name, n in outcome.rejected.items())
    return f"No valid host was found. Of {hosts} hosts: {reasons}."
