"""os-hosts (before 2.43, deprecated for os-services and os-hypervisors): the hosts and
their services (the controller's scheduler and conductor too, in the "internal" zone),
and what each compute host offers and uses, per project."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from runtime.common.errors import ApiError, BadRequest, NotFound
from runtime.common.web import ApiRouter, json_response
from runtime.compute import models as m
from runtime.compute import schemas as sch
from runtime.compute.api.common import body, compute, enforce, removed_after
from runtime.compute.service import internal_services

router = ApiRouter()


def _available(request: Request) -> None:
    removed_after(request, "2.42")
    enforce(request, "hosts")


def _compute_services(s: Session, host: str) -> list[m.Service]:
    return list(s.scalars(select(m.Service).where(
        m.Service.host == host, m.Service.binary == internal_services.COMPUTE)))


@router.get("/v2.1/os-hosts")
async def index(request: Request) -> Response:
    """Every enabled service as a (host, topic, zone); a blank zone filters nothing."""
    _available(request)
    zone = request.query_params.get("zone")
    comp = compute(request)
    internal_services.heartbeat(comp)
    with comp.read() as s:
        stmt = select(m.Service).where(m.Service.disabled.is_(False)).order_by(m.Service.id)
        if zone:
            stmt = stmt.where(m.Service.zone == zone)
        hosts = [{"host_name": svc.host, "service": internal_services.topic(svc.binary),
                  "zone": svc.zone} for svc in s.scalars(stmt)]
    return json_response({"hosts": hosts})


@router.get("/v2.1/os-hosts/{host}")
async def show(request: Request) -> Response:
    _available(request)
    host = request.path_params["host"]
    with compute(request).read() as s:
        node = s.scalar(select(m.Node).where(m.Node.host == host))
        if node is None:
            raise NotFound(f"Compute host {host} could not be found.")
        per_project: dict[str, list[int]] = {}
        for project, flavor in s.execute(select(m.Server.project_id, m.Server.flavor)
                                         .where(m.Server.host == host)):
            used = per_project.setdefault(project, [0, 0, 0])
            used[0] += int(flavor.get("vcpus", 0))
            used[1] += int(flavor.get("ram", 0))
            used[2] += int(flavor.get("disk", 0))
    total_used = [sum(u[i] for u in per_project.values()) for i in range(3)]

    def resource(project: str, cpu: int, ram: int, disk: int) -> dict[str, Any]:
        return {"resource": {"host": host, "project": project, "cpu": cpu,
                             "memory_mb": ram, "disk_gb": disk}}

    rows = [resource("(total)", node.vcpus, node.memory_mb, node.local_gb),
            resource("(used_now)", *total_used), resource("(used_max)", *total_used)]
    rows += [resource(p, *u) for p, u in sorted(per_project.items())]
    return json_response({"host": rows})


@router.put("/v2.1/os-hosts/{host}")
async def update(request: Request) -> Response:
    """Enable or disable the host's compute service (status); maintenance mode is a
    hypervisor feature libvirt does not have, as in Nova (501)."""
    _available(request)
    data = await body(request)
    if not isinstance(data, dict) or not data:
        raise BadRequest("'status' or 'maintenance_mode' needed for host update")
    sch.only(data, ("status", "maintenance_mode"))
    for key in data:
        if data[key] not in ("enable", "disable"):
            raise sch.invalid(key, data[key], f"{data[key]!r} is not one of ['enable', "
                              "'disable']")
    host = request.path_params["host"]
    with compute(request).write() as s:
        services = _compute_services(s, host)
        if not services:
            raise NotFound(f"Compute host {host} could not be found.")
        if "maintenance_mode" in data:
            raise ApiError("Putting a host in maintenance mode is not implemented by the "
                           "libvirt driver.", status=501)
        for svc in services:
            svc.disabled = data["status"] == "disable"
    return json_response({"host": host,
                          "status": "disabled" if data["status"] == "disable" else "enabled"})


@router.get("/v2.1/os-hosts/{host}/{action}")
async def power_action(request: Request) -> Response:
    """reboot, shutdown, startup: powering hosts is not something Nova's libvirt driver
    does either (501), but only administrators may even ask."""
    _available(request)
    if request.path_params["action"] not in ("reboot", "shutdown", "startup"):
        raise NotFound("The resource could not be found.")
    host = request.path_params["host"]
    with compute(request).read() as s:
        if not _compute_services(s, host):
            raise NotFound(f"Compute host {host} could not be found.")
    raise ApiError("Host power actions are not implemented by the libvirt driver.",
                   status=501)
