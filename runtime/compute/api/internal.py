"""The internal API compute agents use (/compute/internal/...), never the public one.

Agents authenticate with the shared secret in ``X-Haneul-Agent-Secret``. They register
their host (its heartbeat too), long-poll the desired state of their servers, report
what they did and see, ship console output, and read image data.
"""

from __future__ import annotations

import hmac
import math

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from runtime.common.context import Context
from runtime.common.errors import BadRequest, Conflict, NotFound, Unauthorized
from runtime.common.web import ApiRouter, json_body, json_response
from runtime.compute import models as m
from runtime.compute.api.common import compute
from runtime.compute.service import agents, snapshots

router = ApiRouter()

SECRET_HEADER = "x-haneul-agent-secret"
PREFIX = "/internal/v1"
# Agents read images with the rights of the cloud, as nova-compute does with Glance.
AGENT_ROLES = frozenset({"admin", "member", "reader"})


def _authenticate(request: Request) -> None:
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), compute(request).agent_secret().encode()):
        raise Unauthorized("The compute agent secret is missing or wrong.")


def agent_context(request: Request) -> Context:
    return Context(request_id=request.scope["haneul.context"].request_id,
                   user_id="haneul-compute-agent", roles=AGENT_ROLES)


@router.put(PREFIX + "/hosts/{host}")
async def register(request: Request) -> Response:
    _authenticate(request)
    report = agents.parse_host_report(request.path_params["host"], await json_body(request))
    comp = compute(request)
    with comp.write() as s:
        service = agents.register(comp, s, report)
        return json_response({"service": {"id": service.uuid, "host": service.host,
                                          "zone": service.zone,
                                          "disabled": service.disabled,
                                          "generation": service.generation}})


@router.get(PREFIX + "/hosts/{host}/servers")
async def servers(request: Request) -> Response:
    """The host's servers once its generation differs from ``since`` (a long-poll of
    at most ``wait`` seconds); always the full list, so agents converge on levels."""
    _authenticate(request)
    host = request.path_params["host"]
    comp = compute(request)
    try:
        since = int(request.query_params.get("since", "-1"))
        wait = float(request.query_params.get("wait", "0"))
    except ValueError:
        raise BadRequest("since is an integer, wait a number of seconds") from None
    if not math.isfinite(wait):
        raise BadRequest("wait must be finite")
    wait = max(0.0, min(wait, comp.settings.poll_timeout))
    generation = await comp.wait_for_change(host, since, wait) if wait else \
        comp.generation(host)
    with comp.read() as s:
        specs = agents.desired(comp, s, host)
    return json_response({"generation": generation, "servers": specs})


@router.post(PREFIX + "/hosts/{host}/servers/{id}/report")
async def report(request: Request) -> Response:
    _authenticate(request)
    parsed = agents.parse_report(await json_body(request))
    with compute(request).write() as s:
        known = agents.apply_report(s, request.path_params["host"], request.path_params["id"],
                                    parsed)
    return json_response({"known": known})


@router.get(PREFIX + "/hosts/{host}/servers/{id}/ports")
async def ports(request: Request) -> Response:
    """The status of each of a server's ports, which a new guest waits on (ACTIVE once
    the network agent has wired it)."""
    _authenticate(request)
    statuses = agents.port_statuses(compute(request), request.path_params["id"])
    return json_response({"ports": statuses})


@router.post(PREFIX + "/hosts/{host}/servers/{id}/console")
async def console(request: Request) -> Response:
    _authenticate(request)
    data = await json_body(request, 4 << 20)
    try:
        offset, length, text = int(data["offset"]), int(data["length"]), str(data["text"])
    except (KeyError, TypeError, ValueError):
        raise BadRequest("offset, length and text are required") from None
    comp = compute(request)
    with comp.db.session() as s:  # no agent needs waking for console text
        have = agents.append_console(s, request.path_params["id"], offset, length, text,
                                     comp.settings.console_log_max_bytes)
    if have is None:
        raise NotFound(f"Instance {request.path_params['id']} could not be found.")
    return json_response({"offset": have})


@router.put(PREFIX + "/hosts/{host}/servers/{id}/snapshot")
async def snapshot(request: Request) -> Response:
    """A snapshot's (or backup's) data, streamed by the agent into the image service as
    the server's owner (so the image belongs to the server's project)."""
    _authenticate(request)
    comp = compute(request)
    serial = request.query_params.get("task_serial", "")
    server_id = request.path_params["id"]
    with comp.read() as s:
        server = s.get(m.Server, server_id)
        if server is None or server.host != request.path_params["host"] \
                or not snapshots.in_progress(server) or str(server.task_serial) != serial:
            raise Conflict("No snapshot of this server is under way.")
        args = (server.extra.get("task_args") or {}).get("snapshot") or {}
        owner = Context(request_id=agent_context(request).request_id, user_id=server.user_id,
                        project_id=server.project_id, roles=frozenset({"member", "reader"}))
    declared = request.headers.get("content-length")
    size = int(declared) if declared and declared.isdigit() else None
    info = await snapshots.store(comp.images(), owner, server_id, args,
                                 request.query_params.get("disk_format", "qcow2"),
                                 request.stream(), size)
    return json_response({"image": {"id": info.id, "status": info.status}})


@router.get(PREFIX + "/images/{id}")
async def image(request: Request) -> Response:
    _authenticate(request)
    info = compute(request).images().get(agent_context(request), request.path_params["id"])
    return json_response({"image": {
        "id": info.id, "name": info.name, "status": info.status,
        "disk_format": info.disk_format, "container_format": info.container_format,
        "size": info.size, "virtual_size": info.virtual_size, "checksum": info.checksum,
        "properties": dict(info.properties)}})


@router.get(PREFIX + "/images/{id}/data")
async def image_data(request: Request) -> Response:
    _authenticate(request)
    chunks = compute(request).images().open_data(agent_context(request),
                                                 request.path_params["id"])
    return StreamingResponse(chunks, media_type="application/octet-stream")
