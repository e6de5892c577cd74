"""os-simple-tenant-usage: server hours, vCPU, RAM and disk use per project over a
period (Horizon's overview and `openstack usage list` read it).

Deleted servers are removed from the database here, so usage counts the servers that
exist: each from its launch (or creation) to the end of the period.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from runtime.common.errors import BadRequest
from runtime.common.web import ApiRouter, json_response
from runtime.compute import models as m
from runtime.compute import states
from runtime.compute.api.common import compute, enforce
from runtime.compute.api.views import usec

router = ApiRouter()


def _when(raw: str | None, default: datetime) -> datetime:
    if not raw:
        return default
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"Invalid time format {raw!r}: use ISO 8601.") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _period(request: Request) -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    end = _when(request.query_params.get("end"), now)
    start = _when(request.query_params.get("start"), end - timedelta(days=30))
    if start > end:
        raise BadRequest("Invalid start time. The start time cannot occur after the end "
                         "time.")
    return start, end


def _usage(servers: list[m.Server], start: datetime, end: datetime,
           detailed: bool) -> dict[str, Any]:
    now = datetime.now(UTC)
    totals = {"total_hours": 0.0, "total_vcpus_usage": 0.0, "total_memory_mb_usage": 0.0,
              "total_local_gb_usage": 0.0}
    rows = []
    for server in servers:
        began = max(server.launched_at or server.created_at, start)
        stopped = min(end, now)
        hours = max((stopped - began).total_seconds(), 0.0) / 3600
        f = server.flavor
        totals["total_hours"] += hours
        totals["total_vcpus_usage"] += hours * f["vcpus"]
        totals["total_memory_mb_usage"] += hours * f["ram"]
        totals["total_local_gb_usage"] += hours * (f["disk"] + f.get("ephemeral", 0))
        if detailed:
            rows.append({
                "instance_id": server.id, "name": server.name, "hours": hours,
                "vcpus": f["vcpus"], "memory_mb": f["ram"], "local_gb": f["disk"],
                "flavor": f.get("name", ""), "tenant_id": server.project_id,
                "started_at": usec(server.launched_at or server.created_at),
                "ended_at": None, "uptime": int((now - began).total_seconds()),
                "state": states.server_status(server.vm_state, server.task_state).lower()})
    out: dict[str, Any] = {**totals, "start": usec(start), "stop": usec(end)}
    if detailed:
        out["server_usages"] = rows
    return out


@router.get("/v2.1/os-simple-tenant-usage")
async def index(request: Request) -> Response:
    enforce(request, "usage:list")
    start, end = _period(request)
    detailed = request.query_params.get("detailed", "").lower() in ("1", "true")
    by_project: dict[str, list[m.Server]] = {}
    with compute(request).read() as s:
        for server in s.scalars(select(m.Server).where(m.Server.created_at <= end)):
            by_project.setdefault(server.project_id, []).append(server)
        usages = [{"tenant_id": p, **_usage(rows, start, end, detailed)}
                  for p, rows in sorted(by_project.items())]
    return json_response({"tenant_usages": usages})


@router.get("/v2.1/os-simple-tenant-usage/{project_id}")
async def show(request: Request) -> Response:
    project_id = request.path_params["project_id"]
    enforce(request, "usage:show", {"project_id": project_id})
    start, end = _period(request)
    with compute(request).read() as s:
        rows = list(s.scalars(select(m.Server).where(m.Server.project_id == project_id,
                                                     m.Server.created_at <= end)))
        usage = {"tenant_id": project_id, **_usage(rows, start, end, True)} if rows else {}
    return json_response({"tenant_usage": usage})
