"""Image data, streamed both ways: PUT/GET /v2/images/{id}/file and PUT .../stage."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from runtime.common.errors import UnsupportedMediaType
from runtime.common.web import ApiRouter, empty_response
from runtime.image.api.common import caller, images
from runtime.image.service import data as svc
from runtime.image.service.stream import read_ahead

router = ApiRouter()


def _declared_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    return int(raw) if raw is not None and raw.isdigit() else None


def _check_octet_stream(request: Request) -> None:
    media = request.headers.get("content-type", "application/octet-stream")
    if media.split(";")[0].strip() != "application/octet-stream":
        raise UnsupportedMediaType(f"Content-Type {media!r} is not supported for image data: "
                                   "send application/octet-stream.")


@router.put("/v2/images/{image_id}/file")
async def upload(request: Request) -> Response:
    ctx = caller(request)
    _check_octet_stream(request)
    await svc.upload(images(request), ctx, request.path_params["image_id"], request.stream(),
                     _declared_length(request))
    return empty_response()


@router.put("/v2/images/{image_id}/stage")
async def stage(request: Request) -> Response:
    ctx = caller(request)
    _check_octet_stream(request)
    await svc.stage(images(request), ctx, request.path_params["image_id"], request.stream(),
                    _declared_length(request))
    return empty_response()


@router.get("/v2/images/{image_id}/file")
async def download(request: Request) -> Response:
    ctx = caller(request)
    found = svc.download(images(request), ctx, request.path_params["image_id"],
                         request.headers.get("range"))
    if found.chunks is None:
        return empty_response()
    headers = {"Content-Length": str(found.size)}
    if found.checksum:
        headers["Content-MD5"] = found.checksum
    status = 200
    if found.content_range:
        headers["Content-Range"] = found.content_range
        status = 206
    return StreamingResponse(read_ahead(found.chunks, images(request).io_pool),
                             status_code=status, headers=headers,
                             media_type="application/octet-stream")
