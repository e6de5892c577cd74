"""/servers/{id}/os-instance-actions: the history of what was asked of a server."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from runtime.common.context import Context
from runtime.common.errors import NotFound
from runtime.common.web import ApiRouter, json_response
from runtime.compute import models as m
from runtime.compute.api.common import at_least, compute, enforce
from runtime.compute.api.views import allowed, host_id, usec
from runtime.compute.service import instance_actions as svc

router = ApiRouter()


def _check_server(s: Session, ctx: Context, server_id: str) -> None:
    """The server, or its history once deleted (Nova shows actions of deleted servers)."""
    server = s.get(m.Server, server_id)
    if server is not None:
        if ctx.is_admin or server.project_id == ctx.project_id:
            return
    elif s.scalar(select(m.InstanceAction.id).where(
            m.InstanceAction.server_id == server_id,
            *(() if ctx.is_admin else (m.InstanceAction.project_id == ctx.project_id,)))
            .limit(1)) is not None:
        return
    raise NotFound(f"Instance {server_id} could not be found.")


def _action_view(request: Request, a: m.InstanceAction) -> dict[str, Any]:
    view: dict[str, Any] = {"action": a.action, "instance_uuid": a.server_id,
                            "message": a.message, "project_id": a.project_id,
                            "request_id": a.request_id, "start_time": usec(a.start_time),
                            "user_id": a.user_id}
    if at_least(request, "2.58"):
        view["updated_at"] = usec(a.updated_at)
    return view


def _event_view(request: Request, ctx: Context, project_id: str,
                e: m.InstanceActionEvent) -> dict[str, Any]:
    view: dict[str, Any] = {"event": e.event, "start_time": usec(e.start_time),
                            "finish_time": usec(e.finish_time), "result": e.result}
    admin = allowed(ctx, "instance_actions:events")
    if admin:
        view["traceback"] = e.traceback
    if at_least(request, "2.62"):
        if admin:
            view["host"] = e.host
        view["hostId"] = host_id(project_id, e.host)
    if at_least(request, "2.84") and admin:
        view["details"] = e.details
    return view


@router.get("/v2.1/servers/{id}/os-instance-actions")
async def index(request: Request) -> Response:
    ctx = enforce(request, "instance_actions:list")
    server_id = request.path_params["id"]
    with compute(request).read() as s:
        _check_server(s, ctx, server_id)
        actions = [_action_view(request, a) for a in svc.listing(s, server_id)]
    return json_response({"instanceActions": actions})


@router.get("/v2.1/servers/{id}/os-instance-actions/{request_id}")
async def show(request: Request) -> Response:
    ctx = enforce(request, "instance_actions:list")
    server_id = request.path_params["id"]
    with compute(request).read() as s:
        _check_server(s, ctx, server_id)
        action = next((a for a in svc.listing(s, server_id)
                       if a.request_id == request.path_params["request_id"]), None)
        if action is None:
            raise NotFound(f"Action for request_id {request.path_params['request_id']} on "
                           f"instance {server_id} not found")
        view = _action_view(request, action)
        view["events"] = [_event_view(request, ctx, action.project_id, e)
                          for e in svc.events(s, action.id)]
    return json_response({"instanceAction": view})
