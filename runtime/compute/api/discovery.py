"""Version discovery at /compute (every version) and /compute/v2.1 (this one)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.web import ApiRouter, json_response
from runtime.compute.api.common import compute
from runtime.compute.microversions import MIN_VERSION

router = ApiRouter()

UPDATED = "2013-07-23T11:33:21Z"


def _v21(request: Request) -> dict[str, Any]:
    comp = compute(request)
    return {
        "id": "v2.1",
        "status": "CURRENT",
        "version": comp.settings.max_microversion,
        "min_version": MIN_VERSION,
        "updated": UPDATED,
        "links": [{"rel": "self", "href": f"{comp.base_url}/v2.1/"}],
    }


@router.get("/")
async def versions(request: Request) -> Response:
    return json_response({"versions": [_v21(request)]})


@router.get("/v2.1")
@router.get("/v2.1/")
async def version(request: Request) -> Response:
    doc = _v21(request)
    doc["links"].append({"rel": "describedby", "type": "text/html",
                         "href": "https://docs.openstack.org/"})
    doc["media-types"] = [{"base": "application/json",
                           "type": "application/vnd.openstack.compute+json;version=2.1"}]
    return json_response({"version": doc})
