"""Serial consoles: POST /servers/{id}/remote-consoles (2.6+) and the older
os-getSerialConsole action hand out a websocket URL; /compute/console/serial is the
proxy that joins that websocket to the guest's serial port on its host."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from runtime.common.context import Context
from runtime.common.errors import BadRequest, Conflict
from runtime.common.web import ApiRouter, json_response
from runtime.compute import models as m
from runtime.compute import schemas as sch
from runtime.compute.api.common import at_least, compute, enforce, entity
from runtime.compute.api.server_actions import action
from runtime.compute.service import consoles
from runtime.compute.service.core import get_server
from runtime.compute.states import VmState

router = ApiRouter()
PATH = "/console/serial"


def _url(request: Request, server_id: str) -> str:
    comp = compute(request)
    with comp.read() as s:
        server = get_server(s, enforce(request, "servers:console"), server_id)
        if server.vm_state not in (VmState.ACTIVE, VmState.RESCUED):
            raise Conflict(f"Instance {server_id} is not ready for a console: it is in "
                           f"vm_state {server.vm_state}.")
        if not server.extra.get("console"):
            raise BadRequest("Unavailable console type serial.")
    token = consoles.issue(comp.agent_secret(), server_id)
    base = comp.base_url.replace("https://", "wss://").replace("http://", "ws://")
    return f"{base}{PATH}?token={token}"


@router.post("/v2.1/servers/{id}/remote-consoles")
async def remote_console(request: Request) -> Response:
    if not at_least(request, "2.6"):
        from runtime.common.errors import NotFound

        raise NotFound("The resource could not be found.")
    enforce(request, "servers:console")
    data = await entity(request, "remote_console")
    sch.only(data, ("protocol", "type"))
    protocol, kind = data.get("protocol"), data.get("type")
    if protocol != "serial" or kind not in (None, "serial"):
        raise BadRequest(f"Unavailable console type {kind or protocol}.")
    url = _url(request, request.path_params["id"])
    return json_response({"remote_console": {"protocol": "serial", "type": "serial",
                                             "url": url}})


@action("os-getSerialConsole")
async def serial_console(request: Request, _ctx: Context, server_id: str,
                         args: Any) -> Response:
    if not isinstance(args, dict) or args.get("type") != "serial":
        raise BadRequest(f"Unavailable console type {(args or {}).get('type')}.")
    return json_response({"console": {"type": "serial", "url": _url(request, server_id)}})


async def serial_proxy(ws: WebSocket) -> None:
    """Bytes both ways between the websocket and the guest's serial TCP port."""
    comp = ws.app.state.compute
    server_id = consoles.verify(comp.agent_secret(), ws.query_params.get("token", ""))
    endpoint = None
    if server_id is not None:
        with comp.read() as s:
            server = s.get(m.Server, server_id)
            endpoint = server.extra.get("console") if server is not None else None
    if endpoint is None:
        await ws.close(code=1008)  # policy violation: bad, expired or useless token
        return
    try:
        reader, writer = await asyncio.open_connection(endpoint["host"], endpoint["port"])
    except OSError:
        await ws.close(code=1011)
        return
    # websockify clients (noVNC, Nova's serial clients) ask for the "binary" protocol.
    offered = ws.scope.get("subprotocols") or []
    await ws.accept(subprotocol="binary" if "binary" in offered else None)

    async def to_guest() -> None:
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    return
                data = message.get("bytes") or (message.get("text") or "").encode()
                writer.write(data)
                await writer.drain()

    async def to_client() -> None:
        while data := await reader.read(4096):
            await ws.send_bytes(data)

    tasks = [asyncio.ensure_future(to_guest()), asyncio.ensure_future(to_client())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        writer.close()
        with contextlib.suppress(Exception):
            await ws.close()
