"""os-simple-tenant-usage: server hours, vCPU, RAM and disk use per project over a
period (Horizon's overview and `openstack usage list` read it).

Also os-instance_usage_audit_log: the audit periods of Nova's periodic usage audit, which
Haneul does not run (Nova's instance_usage_audit is off by default too), so every host
is reported as not having run it.
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
from runtime.compute.api.common import compute, enforce
from runtime.compute.service import usage

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


@router.get("/v2.1/os-simple-tenant-usage")
async def index(request: Request) -> Response:
    enforce(request, "usage:list")
    start, end = _period(request)
    detailed = request.query_params.get("detailed", "").lower() in ("1", "true")
    by_project: dict[str, list[m.Server]] = {}
    with compute(request).read() as s:
        for server in s.scalars(select(m.Server).where(m.Server.created_at <= end)):
            by_project.setdefault(server.project_id, []).append(server)
        usages = [{"tenant_id": p, **usage.tenant_usage(rows, start, end, detailed)}
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
        found = {"tenant_id": project_id, **usage.tenant_usage(rows, start, end, True)} \
            if rows else {}
    return json_response({"tenant_usage": found})


def _audit(request: Request, before: datetime) -> dict[str, Any]:
    with compute(request).read() as s:
        hosts = sorted(s.scalars(select(m.Service.host).where(
            m.Service.binary == "nova-compute")))
    return usage.audit_log(hosts, before)


@router.get("/v2.1/os-instance_usage_audit_log")
async def audit_index(request: Request) -> Response:
    enforce(request, "usage:audit")
    return json_response({"instance_usage_audit_logs": _audit(request, datetime.now(UTC))})


@router.get("/v2.1/os-instance_usage_audit_log/{before}")
async def audit_show(request: Request) -> Response:
    enforce(request, "usage:audit")
    raw = request.path_params["before"]
    try:
        before = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"Invalid timestamp for date {raw}") from None
    if before.tzinfo is None:
        before = before.replace(tzinfo=UTC)
    return json_response({"instance_usage_audit_log": _audit(request, before)})
