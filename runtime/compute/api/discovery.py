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


def _v20(request: Request) -> dict[str, Any]:
    """The legacy v2.0 API, listed first as Nova lists it; Haneul serves only v2.1."""
    return {"id": "v2.0", "status": "SUPPORTED", "version": "", "min_version": "",
            "updated": "2011-01-21T11:33:21Z",
            "links": [{"rel": "self", "href": f"{compute(request).base_url}/v2/"}]}


@router.get("/")
async def versions(request: Request) -> Response:
    return json_response({"versions": [_v20(request), _v21(request)]})


@router.get("/v2")
@router.get("/v2/")
async def version_v20(request: Request) -> Response:
    doc = _v20(request)
    doc["media-types"] = [{"base": "application/json",
                           "type": "application/vnd.openstack.compute+json;version=2"}]
    return json_response({"version": doc})


@router.get("/v2.1")
@router.get("/v2.1/")
async def version(request: Request) -> Response:
    doc = _v21(request)
    doc["links"].append({"rel": "describedby", "type": "text/html",
                         "href": "https://docs.openstack.org/"})
    doc["media-types"] = [{"base": "application/json",
                           "type": "application/vnd.openstack.compute+json;version=2.1"}]
    return json_response({"version": doc})
