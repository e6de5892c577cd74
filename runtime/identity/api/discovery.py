"""Version discovery at /identity and /identity/v3."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.web import ApiRouter, json_response
from runtime.identity.api.common import ident

router = ApiRouter()

VERSION_ID = "v3.14"
UPDATED = "2020-04-07T00:00:00Z"


def version_doc(request: Request) -> dict[str, Any]:
    return {
        "id": VERSION_ID,
        "status": "stable",
        "updated": UPDATED,
        "links": [{"rel": "self", "href": ident(request).base_url + "/v3/"}],
        "media-types": [
            {"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}
        ],
    }


@router.get("/")
async def versions(request: Request) -> Response:
    doc = version_doc(request)
    # Keystone points at the preferred (only) version with a Location header.
    return json_response({"versions": {"values": [doc]}}, status=300,
                         headers={"Location": doc["links"][0]["href"]})


@router.get("/v3")
async def v3(request: Request) -> Response:
    return json_response({"version": version_doc(request)})


@router.get("/v3/")
async def v3_slash(request: Request) -> Response:
    return json_response({"version": version_doc(request)})
