"""Compute hosts as operators see them: os-availability-zone, os-hypervisors (and their
statistics) and os-services (enable, disable, force down, delete)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from runtime.common.errors import BadRequest, NotFound
from runtime.common.web import ApiRouter, empty_response, json_response
from runtime.compute import models as m
from runtime.compute import schemas as sch
from runtime.compute.api.common import at_least, body, compute, enforce
from runtime.compute.api.views import iso, usec
from runtime.compute.service import internal_services, scheduler

router = ApiRouter()


def _services(s: Session) -> list[m.Service]:
    return list(s.scalars(select(m.Service).order_by(m.Service.id)))


@router.get("/v2.1/os-availability-zone")
async def zones(request: Request) -> Response:
    enforce(request, "availability_zones:list")
    with compute(request).read() as s:
        services = _services(s)
    names: dict[str, bool] = {}
    for svc in services:
        if svc.zone == internal_services.INTERNAL_ZONE:
            continue  # Nova lists the controller's zone only in the detail
        names[svc.zone] = names.get(svc.zone, False) or not svc.disabled
    return json_response({"availabilityZoneInfo": [
        {"zoneName": z, "zoneState": {"available": up}, "hosts": None}
        for z, up in sorted(names.items())]})


@router.get("/v2.1/os-availability-zone/detail")
async def zones_detail(request: Request) -> Response:
    enforce(request, "availability_zones:detail")
    comp = compute(request)
    internal_services.heartbeat(comp)
    with comp.read() as s:
        services = _services(s)
    info: dict[str, dict[str, Any]] = {}
    for svc in services:
        zone = info.setdefault(svc.zone, {"zoneName": svc.zone,
                                          "zoneState": {"available": False}, "hosts": {}})
        zone["zoneState"]["available"] |= not svc.disabled
        zone["hosts"].setdefault(svc.host, {})[svc.binary] = {
            "available": scheduler.is_up(svc, comp.settings), "active": not svc.disabled,
            "updated_at": usec(svc.updated_at)}
    return json_response({"availabilityZoneInfo": [info[z] for z in sorted(info)]})


# Services ------------------------------------------------------------------------------

def _service_view(request: Request, svc: m.Service) -> dict[str, Any]:
    comp = compute(request)
    view: dict[str, Any] = {
        "id": svc.uuid if at_least(request, "2.53") else svc.id,
        "binary": svc.binary, "host": svc.host, "zone": svc.zone,
        "status": "disabled" if svc.disabled else "enabled",
        "state": "up" if scheduler.is_up(svc, comp.settings) else "down",
        "updated_at": usec(svc.updated_at), "disabled_reason": svc.disabled_reason}
    if at_least(request, "2.11"):
        view["forced_down"] = svc.forced_down
    return view


@router.get("/v2.1/os-services")
async def services(request: Request) -> Response:
    enforce(request, "services")
    host, binary = request.query_params.get("host"), request.query_params.get("binary")
    internal_services.heartbeat(compute(request))
    with compute(request).read() as s:
        rows = [r for r in _services(s) if (host is None or r.host == host)
                and (binary is None or r.binary == binary)]
        return json_response({"services": [_service_view(request, r) for r in rows]})


def _find_service(s: Session, request: Request, service_id: str) -> m.Service:
    if at_least(request, "2.53"):
        svc = s.scalar(select(m.Service).where(m.Service.uuid == service_id))
    else:
        svc = s.get(m.Service, int(service_id)) if service_id.isdigit() else None
    if svc is None:
        raise NotFound(f"Service {service_id} could not be found.")
    return svc


@router.put("/v2.1/os-services/{id}")
async def update_service(request: Request) -> Response:
    """2.53+: PUT /os-services/{uuid} with status, disabled_reason and forced_down.
    Before: PUT /os-services/{enable,disable,disable-log-reason,force-down} by host."""
    enforce(request, "services")
    data: dict[str, Any] = await _raw(request)
    with compute(request).write() as s:
        if at_least(request, "2.53"):
            svc = _find_service(s, request, request.path_params["id"])
            sch.only(data, ("status", "disabled_reason", "forced_down"))
            status = data.get("status")
            if status not in (None, "enabled", "disabled"):
                raise sch.invalid("status", status, "must be 'enabled' or 'disabled'")
            if "disabled_reason" in data and status != "disabled":
                raise BadRequest("Specifying 'disabled_reason' with status 'enabled' is "
                                 "invalid.")
            if status is not None:
                svc.disabled = status == "disabled"
                svc.disabled_reason = data.get("disabled_reason") if svc.disabled else None
            if "forced_down" in data:
                svc.forced_down = bool(sch.boolean(data, "forced_down"))
            return json_response({"service": _service_view(request, svc)})
        action = request.path_params["id"]
        found = s.scalar(select(m.Service).where(m.Service.host == data.get("host"),
                                                 m.Service.binary == data.get("binary")))
        if found is None:
            raise NotFound("Service not found.")
        svc = found
        view: dict[str, Any] = {"host": svc.host, "binary": svc.binary}
        if action == "enable":
            svc.disabled, svc.disabled_reason = False, None
        elif action in ("disable", "disable-log-reason"):
            svc.disabled = True
            svc.disabled_reason = data.get("disabled_reason")
            if action == "disable-log-reason":
                view["disabled_reason"] = svc.disabled_reason
        elif action == "force-down":
            svc.forced_down = bool(sch.boolean(data, "forced_down"))
            view["forced_down"] = svc.forced_down
            return json_response({"service": view})
        else:
            raise NotFound(f"Unknown action {action}")
        view["status"] = "disabled" if svc.disabled else "enabled"
        return json_response({"service": view})


async def _raw(request: Request) -> dict[str, Any]:
    data = await body(request)
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.")
    return data


@router.delete("/v2.1/os-services/{id}")
async def delete_service(request: Request) -> Response:
    enforce(request, "services")
    with compute(request).write() as s:
        svc = _find_service(s, request, request.path_params["id"])
        if svc.binary == internal_services.COMPUTE and \
                s.scalar(select(m.Server.id).where(m.Server.host == svc.host).limit(1)):
            raise BadRequest("Unable to delete compute service that is hosting instances. "
                             "Migrate or delete the instances first.")
        s.delete(svc)
    return empty_response(204)


# Hypervisors ---------------------------------------------------------------------------

def _hypervisor(request: Request, svc: m.Service, node: m.Node, state: scheduler.HostState,
                detail: bool) -> dict[str, Any]:
    comp = compute(request)
    uuids = at_least(request, "2.53")
    view: dict[str, Any] = {
        "id": node.uuid if uuids else node.id,
        "hypervisor_hostname": node.hypervisor_hostname,
        "state": "up" if scheduler.is_up(svc, comp.settings) else "down",
        "status": "disabled" if svc.disabled else "enabled"}
    if not detail:
        return view
    view.update({
        "hypervisor_type": node.hypervisor_type, "hypervisor_version": node.hypervisor_version,
        "host_ip": node.host_ip,
        "service": {"host": svc.host, "id": svc.uuid if uuids else svc.id,
                    "disabled_reason": svc.disabled_reason}})
    if at_least(request, "2.88"):
        view["uptime"] = None
        return view
    view.update({
        "vcpus": node.vcpus, "memory_mb": node.memory_mb, "local_gb": node.local_gb,
        "vcpus_used": state.vcpus_used, "memory_mb_used": state.memory_mb_used,
        "local_gb_used": state.disk_gb_used,
        "free_ram_mb": node.memory_mb - state.memory_mb_used,
        "free_disk_gb": node.local_gb - state.disk_gb_used, "current_workload": 0,
        "running_vms": len(state.servers), "disk_available_least": node.free_disk_gb,
        "cpu_info": node.cpu_info if at_least(request, "2.28") else json.dumps(node.cpu_info)})
    return view


def _nodes(s: Session, request: Request) -> list[tuple[m.Service, m.Node, scheduler.HostState]]:
    states = {h.host: h for h in scheduler.host_states(s, compute(request).settings)}
    rows = s.execute(select(m.Service, m.Node).join(m.Node, m.Node.service_id == m.Service.id)
                     .order_by(m.Node.id))
    return [(svc, node, states[svc.host]) for svc, node in rows if svc.host in states]


async def _hypervisors(request: Request, detail: bool) -> Response:
    enforce(request, "hypervisors")
    pattern = request.query_params.get("hypervisor_hostname_pattern")
    with_servers = request.query_params.get("with_servers", "").lower() in ("true", "1")
    with compute(request).read() as s:
        out = []
        for svc, node, state in _nodes(s, request):
            if pattern and pattern not in node.hypervisor_hostname:
                continue
            view = _hypervisor(request, svc, node, state, detail)
            if with_servers and state.servers:
                view["servers"] = [{"uuid": i, "name": n} for i, n in s.execute(
                    select(m.Server.id, m.Server.name).where(m.Server.host == svc.host))]
            out.append(view)
    if pattern and not out:
        raise NotFound(f"Hypervisor with hostname pattern {pattern} could not be found.")
    return json_response({"hypervisors": out})


@router.get("/v2.1/os-hypervisors")
async def hypervisors(request: Request) -> Response:
    return await _hypervisors(request, False)


@router.get("/v2.1/os-hypervisors/detail")
async def hypervisors_detail(request: Request) -> Response:
    return await _hypervisors(request, True)


@router.get("/v2.1/os-hypervisors/statistics")
async def statistics(request: Request) -> Response:
    enforce(request, "hypervisors")
    if at_least(request, "2.88"):
        raise NotFound("The resource could not be found.")
    totals = dict.fromkeys(("count", "vcpus", "memory_mb", "local_gb", "vcpus_used",
                            "memory_mb_used", "local_gb_used", "free_ram_mb", "free_disk_gb",
                            "current_workload", "running_vms", "disk_available_least"), 0)
    with compute(request).read() as s:
        for _svc, node, st in _nodes(s, request):
            totals["count"] += 1
            totals["vcpus"] += node.vcpus
            totals["memory_mb"] += node.memory_mb
            totals["local_gb"] += node.local_gb
            totals["vcpus_used"] += st.vcpus_used
            totals["memory_mb_used"] += st.memory_mb_used
            totals["local_gb_used"] += st.disk_gb_used
            totals["free_ram_mb"] += node.memory_mb - st.memory_mb_used
            totals["free_disk_gb"] += node.local_gb - st.disk_gb_used
            totals["running_vms"] += len(st.servers)
            totals["disk_available_least"] += node.free_disk_gb
    return json_response({"hypervisor_statistics": totals})


@router.get("/v2.1/os-hypervisors/{id}")
async def hypervisor(request: Request) -> Response:
    enforce(request, "hypervisors")
    wanted = request.path_params["id"]
    with compute(request).read() as s:
        for svc, node, state in _nodes(s, request):
            if wanted in (node.uuid, str(node.id)):
                return json_response({"hypervisor": _hypervisor(request, svc, node, state,
                                                                True)})
    raise NotFound(f"Hypervisor {wanted} could not be found.")


@router.get("/v2.1/os-hypervisors/{pattern}/search")
async def search(request: Request) -> Response:
    """Before 2.53: hypervisors whose hostname contains the pattern."""
    if at_least(request, "2.53"):
        raise NotFound("The resource could not be found.")
    enforce(request, "hypervisors")
    pattern = request.path_params["pattern"]
    with compute(request).read() as s:
        found = [_hypervisor(request, svc, node, st, False) for svc, node, st in _nodes(s, request)
                 if pattern in node.hypervisor_hostname]
    if not found:
        raise NotFound(f"No hypervisor matching '{pattern}' could be found.")
    return json_response({"hypervisors": found})


@router.get("/v2.1/os-hypervisors/{pattern}/servers")
async def servers_of(request: Request) -> Response:
    """Before 2.53: hypervisors matching the pattern, with their servers."""
    if at_least(request, "2.53"):
        raise NotFound("The resource could not be found.")
    enforce(request, "hypervisors")
    pattern = request.path_params["pattern"]
    with compute(request).read() as s:
        found = []
        for svc, node, st in _nodes(s, request):
            if pattern in node.hypervisor_hostname:
                view = _hypervisor(request, svc, node, st, False)
                view["servers"] = [{"uuid": i, "name": n} for i, n in s.execute(
                    select(m.Server.id, m.Server.name).where(m.Server.host == svc.host))]
                found.append(view)
    if not found:
        raise NotFound(f"No hypervisor matching '{pattern}' could be found.")
    return json_response({"hypervisors": found})


@router.get("/v2.1/os-hypervisors/{id}/uptime")
async def uptime(request: Request) -> Response:
    enforce(request, "hypervisors")
    with compute(request).read() as s:
        for svc, node, state in _nodes(s, request):
            if request.path_params["id"] in (node.uuid, str(node.id)):
                view = _hypervisor(request, svc, node, state, False)
                view["uptime"] = f" {iso(node.updated_at)} up"
                return json_response({"hypervisor": view})
    raise NotFound(f"Hypervisor {request.path_params['id']} could not be found.")

