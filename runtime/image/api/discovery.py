"""Version discovery at /image (300, as Glance answers its root) and /image/versions."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.web import ApiRouter, json_response
from runtime.image.api.common import images

router = ApiRouter()

CURRENT = (2, 16)


def versions(request: Request) -> dict[str, Any]:
    href = images(request).public_url + "/image/v2/"
    out = []
    for minor in range(CURRENT[1], -1, -1):
        out.append({"id": f"v2.{minor}",
                    "status": "CURRENT" if minor == CURRENT[1] else "SUPPORTED",
                    "links": [{"rel": "self", "href": href}]})
    return {"versions": out}


@router.get("/")
async def root(request: Request) -> Response:
    return json_response(versions(request), status=300)


@router.get("/versions")
async def list_versions(request: Request) -> Response:
    return json_response(versions(request))
