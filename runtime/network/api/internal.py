"""The internal API network agents use (/networking/internal/v1/...), never the public
one. Agents authenticate with the shared secret in ``X-Haneul-Agent-Secret`` and report
themselves periodically; the first report registers the agent. They long-poll their
host's desired state (a generation counter moves on with every network write) and write
back what they built: DHCP ports, hosted routers, port status."""

from __future__ import annotations

import hmac
import math

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.web import ApiRouter, json_response
from runtime.network.api.common import body, network
from runtime.network.errors import BadRequest, NeutronError
from runtime.network.service import agents, dataplane, hosting

router = ApiRouter()

SECRET_HEADER = "x-haneul-agent-secret"
PREFIX = "/internal/v1"
# The longest long-poll an agent may ask for, in seconds.
MAX_WAIT = 60.0


def authenticate(request: Request) -> None:
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), agents.secret(network(request)).encode()):
        raise NeutronError("The network agent secret is missing or wrong.", status=401)


@router.post(PREFIX + "/agents")
async def report(request: Request) -> Response:
    authenticate(request)
    svc = network(request)
    data = await body(request)
    # A heartbeat changes nothing agents build: only a new agent or new configurations
    # (a tunnel address) move the generation on.
    with svc.write(bump=False) as s:
        before = agents.find(s, data)
        old = dict(before.configurations) if before is not None else None
        agent = agents.report(s, data)
        changed = old != dict(agent.configurations)
        view = agents.views(svc, [agent])[0]
    if changed:
        with svc.write():
            pass
    return json_response({"agent": view})


@router.get(PREFIX + "/hosts/{host}/state")
async def state(request: Request) -> Response:
    """The host's desired state once the generation differs from ``since`` (a long-poll
    of at most ``wait`` seconds); always whole, so agents converge on levels."""
    authenticate(request)
    svc = network(request)
    try:
        since = int(request.query_params.get("since", "-1"))
        wait = float(request.query_params.get("wait", "0"))
    except ValueError:
        raise BadRequest("since is an integer, wait a number of seconds") from None
    if not math.isfinite(wait):
        raise BadRequest("wait must be finite")
    wait = max(0.0, min(wait, MAX_WAIT))
    generation = await svc.wait_for_change(since, wait) if wait else svc.generation()
    with svc.read() as s:
        desired = hosting.desired(svc, s, request.path_params["host"])
    return json_response({"generation": generation, **desired})


@router.put(PREFIX + "/hosts/{host}/networks/{id}/dhcp-port")
async def dhcp_port(request: Request) -> Response:
    authenticate(request)
    svc = network(request)
    with svc.write() as s:
        port_id = dataplane.ensure_dhcp_port(svc, s, request.path_params["host"],
                                             request.path_params["id"])
    return json_response({"port_id": port_id})


@router.put(PREFIX + "/hosts/{host}/routers/{id}")
async def claim_router(request: Request) -> Response:
    authenticate(request)
    svc = network(request)
    with svc.write() as s:
        bound = dataplane.claim_router(svc, s, request.path_params["host"],
                                       request.path_params["id"])
    return json_response({"ports": bound})


@router.post(PREFIX + "/hosts/{host}/ports/status")
async def port_status(request: Request) -> Response:
    authenticate(request)
    svc = network(request)
    data = await body(request)
    with svc.write(bump=False) as s:  # status is shown, never built on
        done = dataplane.set_status(s, request.path_params["host"], data)
    return json_response({"ports": done})
