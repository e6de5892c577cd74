"""POST /servers/{id}/action: reboot, stop/start, pause, suspend, lock, console output."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.context import Context
from runtime.common.errors import BadRequest
from runtime.common.web import ApiRouter, empty_response, json_response
from runtime.compute import schemas as sch
from runtime.compute.api.common import at_least, body, compute, enforce
from runtime.compute.service import actions, agents
from runtime.compute.service.core import get_server

router = ApiRouter()

ActionHandler = Callable[[Request, Context, str, Any], Awaitable[Response]]
HANDLERS: dict[str, ActionHandler] = {}


def action(name: str) -> Callable[[ActionHandler], ActionHandler]:
    def register(fn: ActionHandler) -> ActionHandler:
        HANDLERS[name] = fn
        return fn

    return register


@router.post("/v2.1/servers/{id}/action")
async def server_action(request: Request) -> Response:
    ctx = enforce(request, "servers:action")
    data = await body(request)
    if not isinstance(data, dict) or len(data) != 1:
        raise BadRequest("Malformed request body: exactly one action is expected.")
    name, args = next(iter(data.items()))
    handler = HANDLERS.get(name)
    if handler is None:
        raise BadRequest(f"There is no such action: {name}")
    return await handler(request, ctx, request.path_params["id"], args)


def _simple(name: str) -> ActionHandler:
    machine, recorded = actions.AGENT_ACTIONS[name]

    async def handler(request: Request, ctx: Context, server_id: str, args: Any) -> Response:
        if args is not None and not isinstance(args, dict):
            raise sch.invalid(name, args, "is not of type 'object', 'null'")
        with compute(request).write() as s:
            server = get_server(s, ctx, server_id)
            actions.start_task(s, ctx, server, machine, recorded)
        return empty_response(202)

    return handler


for _name in actions.AGENT_ACTIONS:
    action(_name)(_simple(_name))


@action("reboot")
async def reboot(request: Request, ctx: Context, server_id: str, args: Any) -> Response:
    if not isinstance(args, dict):
        raise sch.invalid("reboot", args, "is not of type 'object'")
    sch.only(args, ("type",))
    kind = sch.string(args, "type", required=True)
    assert kind is not None
    with compute(request).write() as s:
        actions.reboot(s, ctx, get_server(s, ctx, server_id), kind)
    return empty_response(202)


@action("lock")
async def lock(request: Request, ctx: Context, server_id: str, args: Any) -> Response:
    reason = None
    if isinstance(args, dict) and args:
        if not at_least(request, "2.73"):
            raise sch.invalid("lock", args, "must be null before microversion 2.73")
        sch.only(args, ("locked_reason",))
        reason = sch.string(args, "locked_reason", nullable=True)
    with compute(request).write() as s:
        actions.lock(s, ctx, get_server(s, ctx, server_id), reason)
    return empty_response(202)


@action("unlock")
async def unlock(request: Request, ctx: Context, server_id: str, args: Any) -> Response:
    with compute(request).write() as s:
        actions.unlock(s, ctx, get_server(s, ctx, server_id))
    return empty_response(202)


@action("os-getConsoleOutput")
async def console_output(request: Request, ctx: Context, server_id: str,
                         args: Any) -> Response:
    enforce(request, "servers:console")
    if not isinstance(args, dict):
        raise sch.invalid("os-getConsoleOutput", args, "is not of type 'object'")
    sch.only(args, ("length",))
    length: int | None = None
    raw = args.get("length")
    if raw is not None:
        # Nova takes an integer or a string of one; -1 means everything.
        try:
            length = int(raw)
        except (TypeError, ValueError):
            raise sch.invalid("length", raw, "is not of type 'integer', 'string'") from None
        if length < -1:
            raise sch.invalid("length", raw, "must be -1 or greater")
        if length == -1:
            length = None
    with compute(request).read() as s:
        server = get_server(s, ctx, server_id)
        if server.vm_state == "building":
            from runtime.common.errors import Conflict

            raise Conflict(f"Instance {server_id} in vm_state building. Cannot "
                           "get_console_output while the instance is in this state.")
        text = agents.console_text(s, server_id)
    return json_response({"output": actions.console_lines(text, length)})
