"""/os-migrations (admin): resizes (and, later, moves between hosts) and their status;
/servers/{id}/migrations lists live migrations in progress, of which there are none."""

from __future__ import annotations

import zlib
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from runtime.common.pagination import page_params, paginate
from runtime.common.web import ApiRouter, json_response
from runtime.compute import models as m
from runtime.compute.api.common import at_least, compute, enforce, link
from runtime.compute.api.views import usec
from runtime.compute.service.core import get_server

router = ApiRouter()


def flavor_number(flavor_id: str) -> int:
    """Nova shows its flavors' internal integer ids here; Haneul's flavors have only
    their public ids, so a numeric id is itself and any other is a stable checksum."""
    return int(flavor_id) if flavor_id.isdigit() else zlib.crc32(flavor_id.encode()) & 0x7FFFFFFF


def _view(request: Request, g: m.Migration) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": g.id, "source_node": g.source_compute, "dest_node": g.dest_compute,
        "source_compute": g.source_compute, "dest_compute": g.dest_compute,
        "dest_host": None, "status": g.status, "instance_uuid": g.server_id,
        "old_instance_type_id": flavor_number(g.old_flavor_id),
        "new_instance_type_id": flavor_number(g.new_flavor_id),
        "created_at": usec(g.created_at), "updated_at": usec(g.updated_at)}
    if at_least(request, "2.23"):
        view["migration_type"] = g.migration_type
        if g.migration_type == "live-migration":
            view["links"] = link(request, f"/servers/{g.server_id}/migrations/{g.id}")
    if at_least(request, "2.59"):
        view["uuid"] = g.uuid
    if at_least(request, "2.80"):
        view["user_id"] = g.user_id
        view["project_id"] = g.project_id
    return view


@router.get("/v2.1/os-migrations")
async def index(request: Request) -> Response:
    enforce(request, "migrations")
    q = request.query_params
    stmt = select(m.Migration).order_by(m.Migration.created_at.desc(), m.Migration.id.desc())
    for key, column in (("status", m.Migration.status), ("instance_uuid", m.Migration.server_id),
                        ("migration_type", m.Migration.migration_type),
                        ("source_compute", m.Migration.source_compute),
                        ("user_id", m.Migration.user_id), ("project_id", m.Migration.project_id)):
        if q.get(key):
            stmt = stmt.where(column == q[key])
    if q.get("host"):
        stmt = stmt.where((m.Migration.source_compute == q["host"])
                          | (m.Migration.dest_compute == q["host"]))
    with compute(request).read() as s:
        rows = list(s.scalars(stmt))
    if at_least(request, "2.59"):
        rows, _ = paginate(rows, page_params(q), lambda g: g.uuid)
    return json_response({"migrations": [_view(request, g) for g in rows]})


@router.get("/v2.1/servers/{id}/migrations")
async def server_migrations(request: Request) -> Response:
    ctx = enforce(request, "migrations")
    with compute(request).read() as s:
        get_server(s, ctx, request.path_params["id"])
    return json_response({"migrations": []})
