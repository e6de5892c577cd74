"""Subnet pools: prefixes that subnets are carved from by prefix length."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from runtime.common.context import Context
from runtime.network import models as m
from runtime.network.errors import BadRequest, Conflict, NeutronError, not_found
from runtime.network.service import ipam, quotas
from runtime.network.service.core import (
    Network,
    allowed,
    bump,
    drop_tags,
    enforce,
    new_id,
    owner_project,
    standard_view,
    tags_for,
)


def target(pool: m.SubnetPool) -> dict[str, Any]:
    return {"project_id": pool.project_id, "shared": pool.shared}


def get(s: Session, ctx: Context, pool_id: str) -> m.SubnetPool:
    pool = s.get(m.SubnetPool, pool_id)
    if pool is None or not allowed(ctx, "get_subnetpool", target(pool)):
        raise not_found("subnetpool", pool_id)
    return pool


def visible(s: Session, ctx: Context) -> Sequence[m.SubnetPool]:
    query = select(m.SubnetPool)
    if not ctx.is_admin:
        query = query.where(or_(m.SubnetPool.project_id == ctx.project_id,
                                m.SubnetPool.shared.is_(True)))
    return s.scalars(query).all()


def views(s: Session, _ctx: Context, pools: Sequence[m.SubnetPool]) -> list[dict[str, Any]]:
    tags = tags_for(s, [p.id for p in pools])
    out = []
    for p in pools:
        view: dict[str, Any] = {
            "id": p.id, "name": p.name, "description": p.description,
            "ip_version": p.ip_version, "prefixes": list(p.prefixes),
            "default_prefixlen": p.default_prefixlen, "min_prefixlen": p.min_prefixlen,
            "max_prefixlen": p.max_prefixlen, "default_quota": p.default_quota,
            "shared": p.shared, "is_default": p.is_default, "address_scope_id": None}
        view.update(standard_view(p, tags.get(p.id, [])))
        out.append(view)
    return out


def _prefixes(raw: list[str]) -> list[ipam.IPNetwork]:
    if not raw:
        raise BadRequest("Invalid input for prefixes. Reason: a subnet pool needs at least "
                         "one prefix.")
    nets = [ipaddress.ip_network(str(ipam.parse_cidr(p, "prefixes"))) for p in raw]
    if len({n.version for n in nets}) != 1:
        raise BadRequest("Illegal subnetpool prefix update: prefixes of mixed IP versions.",
                         type="PrefixVersionMismatch")
    # Neutron keeps prefixes collapsed: adjacent and nested ones merge.
    v4 = [n for n in nets if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in nets if isinstance(n, ipaddress.IPv6Network)]
    return [*ipaddress.collapse_addresses(v4), *ipaddress.collapse_addresses(v6)]


def _lengths(data: dict[str, Any], version: int, current: m.SubnetPool | None,
             ) -> tuple[int, int, int]:
    top = 32 if version == 4 else 128
    low = data.get("min_prefixlen")
    high = data.get("max_prefixlen")
    default = data.get("default_prefixlen")
    low = low if low is not None else (current.min_prefixlen if current else 8)
    high = high if high is not None else (current.max_prefixlen if current else top)
    default = default if default is not None else (
        current.default_prefixlen if current else low)
    if not 0 <= low <= default <= high <= top:
        raise BadRequest(f"Illegal prefix bounds: min_prefixlen={low}, "
                         f"default_prefixlen={default}, max_prefixlen={high}.",
                         type="InvalidInput")
    return low, default, high


def create(svc: Network, s: Session, ctx: Context, data: dict[str, Any]) -> m.SubnetPool:
    enforce(ctx, "create")
    if data["shared"]:
        enforce(ctx, "set_subnetpool_shared")
    project = owner_project(ctx, data)
    prefixes = _prefixes(data["prefixes"])
    version = prefixes[0].version
    low, default, high = _lengths(data, version, None)
    quotas.check(s, svc.settings, project, "subnetpool")
    pool = m.SubnetPool(
        id=new_id(), project_id=project, name=data["name"], description=data["description"],
        ip_version=version, prefixes=[str(p) for p in prefixes], default_prefixlen=default,
        min_prefixlen=low, max_prefixlen=high, default_quota=data["default_quota"],
        shared=data["shared"], is_default=data["is_default"])
    s.add(pool)
    s.flush()
    return pool


def update(s: Session, ctx: Context, pool: m.SubnetPool, data: dict[str, Any]) -> None:
    enforce(ctx, "manage_subnetpool", target(pool))
    if "prefixes" in data:
        new = _prefixes(data["prefixes"])
        old = [ipaddress.ip_network(p) for p in pool.prefixes]
        if new[0].version != pool.ip_version or not all(
                any(o.subnet_of(n) for n in new) for o in old  # type: ignore[arg-type]
                if o.version == new[0].version):
            raise BadRequest("Illegal subnetpool prefix update: existing prefixes must be "
                             "kept.", type="IllegalSubnetPoolPrefixUpdate")
        pool.prefixes = [str(p) for p in new]
    low, default, high = _lengths(data, pool.ip_version, pool)
    pool.min_prefixlen, pool.default_prefixlen, pool.max_prefixlen = low, default, high
    for key in ("name", "description", "default_quota", "is_default"):
        if key in data:
            setattr(pool, key, data[key])
    bump(pool)


def delete(s: Session, ctx: Context, pool: m.SubnetPool) -> None:
    enforce(ctx, "manage_subnetpool", target(pool))
    if s.scalar(select(m.Subnet.id).where(m.Subnet.subnetpool_id == pool.id).limit(1)):
        raise Conflict(f"Subnet pool {pool.id} cannot be deleted: subnets are allocated "
                       "from it.", type="SubnetPoolInUse")
    drop_tags(s, [pool.id])
    s.delete(pool)


def for_subnet(s: Session, ctx: Context, pool_id: str | None, version: int,
               ) -> m.SubnetPool:
    """The pool a subnet is to come from: the one named, or the default of its family."""
    if pool_id is None:
        found = s.scalar(select(m.SubnetPool).where(m.SubnetPool.is_default.is_(True),
                                                    m.SubnetPool.ip_version == version))
        if found is None:
            raise BadRequest(f"Bad subnets request: No default subnetpool found for IPv"
                             f"{version}.", type="BadRequest")
        return found
    pool = get(s, ctx, pool_id)
    if pool.ip_version != version:
        raise BadRequest(f"Invalid input for operation: cidr and subnet pool ip versions "
                         f"differ ({version} and {pool.ip_version}).", type="InvalidInput")
    return pool


def _taken(s: Session, pool: m.SubnetPool) -> list[ipam.IPNetwork]:
    return [ipaddress.ip_network(c) for c in
            s.scalars(select(m.Subnet.cidr).where(m.Subnet.subnetpool_id == pool.id))]


def check_inside(s: Session, pool: m.SubnetPool, cidr: ipam.IPNetwork) -> None:
    prefixes = [ipaddress.ip_network(p) for p in pool.prefixes]
    if cidr.version != pool.ip_version or not any(
            cidr.subnet_of(p) for p in prefixes):  # type: ignore[arg-type]
        raise BadRequest(f"Unable to allocate subnet with prefix length {cidr.prefixlen}, "
                         "the requested cidr is outside the pool's prefixes.",
                         type="SubnetAllocationError")
    if not pool.min_prefixlen <= cidr.prefixlen <= pool.max_prefixlen:
        raise BadRequest(f"Unable to allocate subnet with prefix length {cidr.prefixlen}, "
                         f"minimum allowed prefix is {pool.min_prefixlen}, maximum allowed "
                         f"prefix is {pool.max_prefixlen}.", type="IllegalSubnetPrefixLength")
    if any(ipam.overlaps(cidr, t) for t in _taken(s, pool)):
        raise BadRequest(f"Failed to allocate subnet: the cidr {cidr} overlaps a subnet "
                         "already allocated from the pool.", type="SubnetAllocationError")


def allocate(s: Session, pool: m.SubnetPool, prefixlen: int | None) -> ipam.IPNetwork:
    """The first block of ``prefixlen`` (default: the pool's) no subnet of the pool uses."""
    length = prefixlen if prefixlen is not None else pool.default_prefixlen
    if not pool.min_prefixlen <= length <= pool.max_prefixlen:
        raise BadRequest(f"Unable to allocate subnet with prefix length {length}, minimum "
                         f"allowed prefix is {pool.min_prefixlen}, maximum allowed prefix is "
                         f"{pool.max_prefixlen}.", type="IllegalSubnetPrefixLength")
    taken = _taken(s, pool)
    for prefix in (ipaddress.ip_network(p) for p in pool.prefixes):
        if length < prefix.prefixlen:
            continue
        for candidate in prefix.subnets(new_prefix=length):
            if not any(ipam.overlaps(candidate, t) for t in taken):
                return candidate
    raise NeutronError(f"Insufficient prefix space to allocate subnet size /{length}.",
                       status=409, type="SubnetAllocationError")
