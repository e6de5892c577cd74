"""The schema documents: GET /v2/schemas/{image,images,member,members,task,tasks,...}."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.errors import NotFound
from runtime.common.web import ApiRouter, json_response
from runtime.image.api.common import caller
from runtime.image.api.schema_docs import DOCUMENTS

router = ApiRouter()


@router.get("/v2/schemas/{name:path}")
async def show_schema(request: Request) -> Response:
    caller(request)
    build = DOCUMENTS.get(request.path_params["name"].rstrip("/"))
    if build is None:
        raise NotFound("The resource could not be found.")
    return json_response(build())
