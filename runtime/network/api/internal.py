"""The internal API network agents use (/networking/internal/v1/...), never the public
one. Agents authenticate with the shared secret in ``X-Haneul-Agent-Secret`` and report
themselves periodically; the first report registers the agent."""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.web import ApiRouter, json_response
from runtime.network.api.common import body, network
from runtime.network.errors import NeutronError
from runtime.network.service import agents

router = ApiRouter()

SECRET_HEADER = "x-haneul-agent-secret"
PREFIX = "/internal/v1"


def _authenticate(request: Request) -> None:
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), agents.secret(network(request)).encode()):
        raise NeutronError("The network agent secret is missing or wrong.", status=401)


@router.post(PREFIX + "/agents")
async def report(request: Request) -> Response:
    _authenticate(request)
    svc = network(request)
    data = await body(request)
    with svc.write() as s:
        agent = agents.report(s, data)
        view = agents.views(svc, [agent])[0]
    return json_response({"agent": view})
