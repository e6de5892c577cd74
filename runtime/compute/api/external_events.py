"""POST /os-server-external-events: what other services tell compute about a server
(a port plugged, a volume extended). Accepted and answered per event; nothing here
waits on them yet."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.errors import NotFound
from runtime.common.web import ApiRouter, json_response
from runtime.compute import models as m
from runtime.compute import schemas as sch
from runtime.compute.api.common import at_least, body, compute, enforce

router = ApiRouter()

NAMES = {"network-changed": "2.1", "network-vif-plugged": "2.1",
         "network-vif-unplugged": "2.1", "network-vif-deleted": "2.1",
         "volume-extended": "2.51", "power-update": "2.76",
         "accelerator-request-bound": "2.82", "volume-reimaged": "2.93"}
STATUSES = ("failed", "completed", "in-progress")


@router.post("/v2.1/os-server-external-events")
async def create(request: Request) -> Response:
    enforce(request, "external_events")
    data = await body(request)
    events = data.get("events") if isinstance(data, dict) else None
    if not isinstance(events, list) or not events:
        raise sch.invalid("events", events, "'events' is a required, non-empty list")
    out: list[dict[str, Any]] = []
    with compute(request).read() as s:
        for event in events:
            if not isinstance(event, dict):
                raise sch.invalid("events", event, "is not of type 'object'")
            sch.only(event, ("name", "server_uuid", "status", "tag"))
            name = event.get("name")
            if name not in NAMES or not at_least(request, NAMES[name]):
                raise sch.invalid("name", name, f"{name!r} is not a known event")
            status = event.get("status", "completed")
            if status not in STATUSES:
                raise sch.invalid("status", status, f"{status!r} is not one of {STATUSES}")
            server = s.get(m.Server, str(event.get("server_uuid", "")))
            result = dict(event, status=status)
            if server is None:
                result["code"] = 404
            elif server.host is None:
                result["code"] = 422
            else:
                result["code"] = 200
            out.append(result)
    codes = {e["code"] for e in out}
    if codes == {404}:
        raise NotFound("No instances found for any event")
    return json_response({"events": out}, status=200 if codes == {200} else 207)
