"""Creating, updating and deleting servers. Creating one checks its image, flavor, key
and quota, schedules it to a host, and leaves it BUILD for that host's agent."""

from __future__ import annotations

import base64
import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.common.context import Context
from runtime.common.db import utcnow
from runtime.common.errors import ApiError, BadRequest, Conflict, NotFound
from runtime.compute import models as m
from runtime.compute import states
from runtime.compute.schemas import ServerRequest
from runtime.compute.service import (
    flavors,
    groups,
    instance_actions,
    networking,
    quotas,
    scheduler,
)
from runtime.compute.service.core import Compute, after_commit, touch_host
from runtime.compute.states import TaskState, VmState

GiB = 1 << 30
log = logging.getLogger("haneul.compute")


@dataclass(frozen=True)
class ImageFacts:
    """What a server keeps of its image: enough for the agent to boot it."""

    id: str
    disk_format: str
    min_ram: int
    min_disk: int
    virtual_size: int | None
    size: int | None
    properties: dict[str, str]


def image_id_of(ref: str) -> str:
    """imageRef may be an id or an href ending in one."""
    return ref.rstrip("/").rsplit("/", 1)[-1]


def resolve_image(comp: Compute, ctx: Context, image_ref: str) -> ImageFacts:
    image_id = image_id_of(image_ref)
    try:
        info = comp.images().get(ctx, image_id)
    except NotFound:
        raise BadRequest(f"Image {image_id} could not be found.") from None
    except ApiError as err:
        if err.status == 404:
            raise BadRequest(f"Image {image_id} could not be found.") from None
        raise
    if info.status != "active":
        raise BadRequest(f"Image {image_id} is not active.")
    return ImageFacts(id=info.id, disk_format=info.disk_format or "raw",
                      min_ram=info.min_ram or 0, min_disk=info.min_disk or 0,
                      virtual_size=info.virtual_size, size=info.size,
                      properties=dict(info.properties or {}))


def flavor_snapshot(s: Session, flavor: m.Flavor) -> dict[str, Any]:
    return {"id": flavor.id, "name": flavor.name, "vcpus": flavor.vcpus,
            "ram": flavor.memory_mb, "disk": flavor.root_gb, "ephemeral": flavor.ephemeral_gb,
            "swap": flavor.swap, "extra_specs": flavors.extra_specs(s, flavor.id)}


def check_image_fits(image: ImageFacts, flavor: dict[str, Any]) -> None:
    if image.min_ram > flavor["ram"]:
        raise BadRequest("Flavor's memory is too small for requested image.")
    if flavor["disk"]:
        if image.min_disk > flavor["disk"]:
            raise BadRequest("Flavor's disk is too small for requested image.")
        size = image.virtual_size or image.size or 0
        if size > flavor["disk"] * GiB:
            raise BadRequest(f"Flavor's disk is too small for requested image. Flavor disk "
                             f"is {flavor['disk'] * GiB} bytes, image is {size} bytes.")


_HOSTNAME_BAD = re.compile(r"[^\w.-]+")


def hostname_for(name: str, server_id: str) -> str:
    """Nova's sanitised hostname: lower case, no spaces or odd characters, 63 at most."""
    text = _HOSTNAME_BAD.sub("-", name.lower().replace("_", "-")).strip(".-")
    return text[:63].rstrip(".-") or f"server-{server_id}"


def zones(s: Session) -> set[str]:
    return set(s.scalars(select(m.Service.zone).where(m.Service.binary == "nova-compute")))


def _zone_and_host(ctx: Context, s: Session, comp: Compute,
                   requested: str | None) -> tuple[str | None, str | None]:
    if not requested:
        return None, None
    zone, _, host = requested.partition(":")
    forced = host.partition(":")[0] or None
    if forced and not ctx.is_admin:
        raise BadRequest("Only administrators may choose the host of a server.")
    if zone and zone not in zones(s) and zone != comp.settings.default_availability_zone:
        raise BadRequest(f"The requested availability zone is not available: {zone}")
    return zone or None, forced


def create(comp: Compute, ctx: Context, req: ServerRequest) -> list[m.Server]:
    """The new servers (max_count of them, or as many down to min_count as quota
    allows), each scheduled, within one transaction."""
    image = resolve_image(comp, ctx, req.image_ref) if req.image_ref else None
    if image is None:
        raise BadRequest("Block device mapping is not supported yet: imageRef is required.")
    settings = comp.settings
    reservation = "r-" + secrets.token_hex(4)
    net_plan = networking.plan(comp, ctx, req)
    nics = networking.requested(net_plan.nics)
    with comp.write() as s:
        try:
            flavor_row = flavors.get(s, ctx, req.flavor_ref)
        except NotFound:
            raise BadRequest("Invalid flavorRef provided.") from None
        flavor = flavor_snapshot(s, flavor_row)
        check_image_fits(image, flavor)
        key_data = None
        if req.key_name is not None:
            pair = s.get(m.KeyPair, (ctx.user_id or "", req.key_name))
            if pair is None:
                raise BadRequest("Invalid key_name provided.")
            key_data = pair.public_key
        zone, forced_host = _zone_and_host(ctx, s, comp, req.availability_zone)
        quotas.check_metadata(settings.quota, s, ctx.project_id or "", len(req.metadata))
        count = req.max_count
        if net_plan.max_servers is not None:
            count = max(req.min_count, min(count, net_plan.max_servers))
        try:
            quotas.check_servers(s, settings.quota, ctx.project_id or "", ctx.user_id or "",
                                 count, flavor["vcpus"], flavor["ram"])
        except ApiError:
            if req.min_count == req.max_count:
                raise
            count = req.min_count
            quotas.check_servers(s, settings.quota, ctx.project_id or "", ctx.user_id or "",
                                 count, flavor["vcpus"], flavor["ram"])
        group = groups.get(s, ctx, req.group) if req.group else None
        hosts = scheduler.host_states(s, settings)
        made = []
        for index in range(count):
            server_id = str(uuid.uuid4())
            name = req.name if count == 1 else f"{req.name}-{index + 1}"
            server = m.Server(
                id=server_id, name=name, project_id=ctx.project_id or "",
                user_id=ctx.user_id or "",
                hostname=req.hostname or hostname_for(name, server_id),
                description=req.description, image_ref=image.id, flavor_id=flavor_row.id,
                flavor=flavor, key_name=req.key_name, key_data=key_data,
                user_data=req.user_data,
                config_drive=req.config_drive or settings.force_config_drive,
                requested_zone=zone, vm_state=VmState.BUILDING,
                task_state=TaskState.SCHEDULING, power_state=states.PowerState.NOSTATE,
                access_ipv4=req.access_ipv4, access_ipv6=req.access_ipv6,
                metadata_=dict(req.metadata), reservation_id=reservation, launch_index=index,
                extra={"image": image.__dict__,
                       "networks": req.networks if isinstance(req.networks, str) else
                       ("auto" if req.networks is None else "list"),
                       "requested_nics": nics,
                       "security_group_ids": net_plan.security_groups})
            s.add(server)
            s.flush()
            for tag in req.tags:
                s.add(m.ServerTag(server_id=server_id, tag=tag))
            instance_actions.record(s, ctx, server_id, "create")
            hosts = _schedule(comp, s, server, hosts, zone, forced_host, group)
            if nics and server.host:
                # The host's agent leaves it alone until its ports are bound.
                server.task_state = TaskState.NETWORKING
            if group is not None:
                s.add(m.ServerGroupMember(group_id=group.id, server_id=server_id))
                s.flush()
            made.append(server)
    for server in made:
        if server.task_state == TaskState.NETWORKING:
            plug(comp, ctx, server, nics, net_plan.security_groups)
    return made


def plug(comp: Compute, ctx: Context, server: m.Server, nics: list[dict[str, Any]],
         groups: list[str] | None) -> None:
    """Make and bind a scheduled server's ports, then let its host spawn it; a
    failure leaves the server in ERROR, as Nova's build does."""
    client = comp.network()
    assert client is not None and server.host is not None
    error: str | None = None
    try:
        ports = networking.allocate(client, ctx, server.id, server.host,
                                    server.availability_zone, nics, groups)
    except Exception as err:  # whatever failed, the server must not stay in networking
        ports, error = [], err.message if isinstance(err, ApiError) else str(err)
        if not isinstance(err, ApiError):
            log.exception("network allocation of %s failed", server.id)
    with comp.write() as s:
        row = s.get(m.Server, server.id)
        if row is None or row.task_state != TaskState.NETWORKING:
            # Deleted meanwhile: its ports go with it.
            after_commit(s, lambda c: networking.release_server(
                c, server.id, server.project_id, ports))
            return
        row.extra = {**row.extra, "ports": ports}
        if error is None:
            row.task_state = TaskState.SPAWNING
        else:
            row.vm_state = VmState.ERROR
            row.task_state = None
            row.fault = fault(500, f"Build of instance {server.id} aborted: Failed to "
                              f"allocate the network(s), not rescheduling. {error}")
            instance_actions.finish(s, server.id, server.host, error="BuildAbortException")
        row.updated_at = utcnow()
        touch_host(s, row.host)
        server.task_state, server.vm_state = row.task_state, row.vm_state


def _schedule(comp: Compute, s: Session, server: m.Server,
              hosts: list[scheduler.HostState], zone: str | None, forced_host: str | None,
              group: m.ServerGroup | None) -> list[scheduler.HostState]:
    flavor = server.flavor
    request = scheduler.Request(
        vcpus=flavor["vcpus"], memory_mb=flavor["ram"],
        disk_gb=flavor["disk"] + flavor.get("ephemeral", 0), zone=zone,
        forced_host=forced_host, **groups.scheduling_hints(s, group, hosts))
    outcome = scheduler.select_host(hosts, request, scheduler.ratios(comp.settings),
                                    comp.settings.weigher)
    if outcome.host is None:
        server.vm_state = VmState.ERROR
        server.task_state = None
        server.fault = fault(500, scheduler.no_valid_host_message(outcome, len(hosts)))
        instance_actions.finish(s, server.id, None, error="NoValidHost")
        return hosts
    chosen = next(h for h in hosts if h.host == outcome.host)
    server.host = server.node = chosen.host
    server.availability_zone = chosen.zone
    server.task_state = TaskState.SPAWNING
    touch_host(s, chosen.host)
    updated = scheduler.consume(chosen, request, server.id)
    return [updated if h.host == chosen.host else h for h in hosts]


def fault(code: int, message: str, details: str | None = None) -> dict[str, Any]:
    return {"code": code, "message": message[:255], "details": details or "",
            "created": utcnow().isoformat()}


def decoded_user_data(server: m.Server) -> bytes | None:
    if server.user_data is None:
        return None
    return base64.b64decode(server.user_data)


def update(s: Session, server: m.Server, fields: dict[str, Any]) -> m.Server:
    for key, value in fields.items():
        setattr(server, key, value)
    server.updated_at = utcnow()
    touch_host(s, server.host)
    return server


def check_unlocked(ctx: Context, server: m.Server) -> None:
    if server.locked and not ctx.is_admin:
        raise Conflict(f"Instance {server.id} is locked")


def delete(comp: Compute, s: Session, ctx: Context, server: m.Server) -> None:
    """Ask the host to destroy the server; without a live host, remove it now."""
    check_unlocked(ctx, server)
    if server.task_state == TaskState.DELETING:
        return
    states.begin("delete", server.id, server.vm_state, server.task_state)
    instance_actions.record(s, ctx, server.id, "delete")
    service = s.scalar(select(m.Service).where(m.Service.host == server.host,
                                               m.Service.binary == "nova-compute")) \
        if server.host else None
    if service is None or not scheduler.is_up(service, comp.settings):
        instance_actions.finish(s, server.id, server.host)
        remove(s, server)
        return
    server.task_state = TaskState.DELETING
    server.updated_at = utcnow()
    touch_host(s, server.host)


def remove(s: Session, server: m.Server) -> None:
    """Forget the server; its ports are released once this transaction commits."""
    ports = list(server.extra.get("ports") or [])
    server_id, project = server.id, server.project_id
    after_commit(s, lambda comp: networking.release_server(comp, server_id, project, ports))
    s.execute(sa.delete(m.ServerGroupMember).where(m.ServerGroupMember.server_id == server.id))
    s.delete(server)
