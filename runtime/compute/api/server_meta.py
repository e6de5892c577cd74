"""Server metadata (/servers/{id}/metadata) and tags (/servers/{id}/tags, 2.26+)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from runtime.common.errors import BadRequest, NotFound
from runtime.common.web import ApiRouter, empty_response, json_response
from runtime.compute import models as m
from runtime.compute import schemas as sch
from runtime.compute.api.common import at_least, body, compute, enforce, metadata_body
from runtime.compute.api.views import tags_of
from runtime.compute.service import quotas, servers
from runtime.compute.service.core import get_server

router = ApiRouter()

MAX_TAGS = 50


def _write(request: Request, s: Session, server_id: str) -> m.Server:
    ctx = enforce(request, "servers:metadata:write")
    server = get_server(s, ctx, server_id)
    servers.check_unlocked(ctx, server)
    return server


def _save(request: Request, s: Session, server: m.Server, meta: dict[str, str]) -> None:
    quotas.check_metadata(compute(request).settings.quota, s, server.project_id, len(meta))
    servers.update(s, server, {"metadata_": meta})


@router.get("/v2.1/servers/{id}/metadata")
async def index(request: Request) -> Response:
    ctx = enforce(request, "servers:metadata:read")
    with compute(request).read() as s:
        return json_response({"metadata": get_server(s, ctx, request.path_params["id"])
                              .metadata_})


@router.post("/v2.1/servers/{id}/metadata")
async def merge(request: Request) -> Response:
    meta = await metadata_body(request, "metadata")
    with compute(request).write() as s:
        server = _write(request, s, request.path_params["id"])
        _save(request, s, server, {**server.metadata_, **meta})
        return json_response({"metadata": server.metadata_})


@router.put("/v2.1/servers/{id}/metadata")
async def replace(request: Request) -> Response:
    meta = await metadata_body(request, "metadata")
    with compute(request).write() as s:
        server = _write(request, s, request.path_params["id"])
        _save(request, s, server, meta)
        return json_response({"metadata": server.metadata_})


@router.get("/v2.1/servers/{id}/metadata/{key}")
async def show_item(request: Request) -> Response:
    ctx = enforce(request, "servers:metadata:read")
    key = request.path_params["key"]
    with compute(request).read() as s:
        meta = get_server(s, ctx, request.path_params["id"]).metadata_
    if key not in meta:
        raise NotFound("Metadata item was not found")
    return json_response({"meta": {key: meta[key]}})


@router.put("/v2.1/servers/{id}/metadata/{key}")
async def set_item(request: Request) -> Response:
    key = request.path_params["key"]
    meta = await metadata_body(request, "meta")
    if len(meta) > 1:
        raise BadRequest("Request body contains too many items")
    if key not in meta:
        raise BadRequest("Request body and URI mismatch")
    with compute(request).write() as s:
        server = _write(request, s, request.path_params["id"])
        _save(request, s, server, {**server.metadata_, **meta})
    return json_response({"meta": meta})


@router.delete("/v2.1/servers/{id}/metadata/{key}")
async def delete_item(request: Request) -> Response:
    key = request.path_params["key"]
    with compute(request).write() as s:
        server = _write(request, s, request.path_params["id"])
        if key not in server.metadata_:
            raise NotFound("Metadata item was not found")
        servers.update(s, server, {"metadata_": {k: v for k, v in server.metadata_.items()
                                                 if k != key}})
    return empty_response(204)


# Tags ----------------------------------------------------------------------------------

def _tags_api(request: Request) -> None:
    if not at_least(request, "2.26"):
        raise NotFound("The resource could not be found.")


def _set_tags(s: Session, server: m.Server, tags: list[str]) -> None:
    if len(tags) > MAX_TAGS:
        raise BadRequest(f"The number of tags exceeded the per-server limit {MAX_TAGS}")
    s.execute(delete(m.ServerTag).where(m.ServerTag.server_id == server.id))
    for tag in dict.fromkeys(tags):
        s.add(m.ServerTag(server_id=server.id, tag=tag))
    servers.update(s, server, {})


@router.get("/v2.1/servers/{id}/tags")
async def tags_index(request: Request) -> Response:
    _tags_api(request)
    ctx = enforce(request, "servers:metadata:read")
    with compute(request).read() as s:
        server = get_server(s, ctx, request.path_params["id"])
        return json_response({"tags": tags_of(s, server.id)})


@router.put("/v2.1/servers/{id}/tags")
async def tags_replace(request: Request) -> Response:
    _tags_api(request)
    data: Any = await body(request)
    if not isinstance(data, dict) or not isinstance(data.get("tags"), list):
        raise sch.invalid("tags", data, "'tags' is a required property")
    sch.only(data, ("tags",))
    tags = [sch.check_tag(t) for t in data["tags"]]
    with compute(request).write() as s:
        server = _write(request, s, request.path_params["id"])
        _set_tags(s, server, tags)
        return json_response({"tags": tags_of(s, server.id)})


@router.delete("/v2.1/servers/{id}/tags")
async def tags_clear(request: Request) -> Response:
    _tags_api(request)
    with compute(request).write() as s:
        _set_tags(s, _write(request, s, request.path_params["id"]), [])
    return empty_response(204)


@router.get("/v2.1/servers/{id}/tags/{tag}")
async def tag_check(request: Request) -> Response:
    _tags_api(request)
    ctx = enforce(request, "servers:metadata:read")
    tag = request.path_params["tag"]
    with compute(request).read() as s:
        server = get_server(s, ctx, request.path_params["id"])
        if s.get(m.ServerTag, (server.id, tag)) is None:
            raise NotFound(f"Tag {tag} could not be found on instance {server.id}.")
    return empty_response(204)


@router.put("/v2.1/servers/{id}/tags/{tag}")
async def tag_add(request: Request) -> Response:
    _tags_api(request)
    tag = sch.check_tag(request.path_params["tag"])
    with compute(request).write() as s:
        server = _write(request, s, request.path_params["id"])
        if s.get(m.ServerTag, (server.id, tag)) is not None:
            return empty_response(204)
        count = len(list(s.scalars(select(m.ServerTag.tag)
                                   .where(m.ServerTag.server_id == server.id))))
        if count >= MAX_TAGS:
            raise BadRequest(f"The number of tags exceeded the per-server limit {MAX_TAGS}")
        s.add(m.ServerTag(server_id=server.id, tag=tag))
        servers.update(s, server, {})
    location = f"{compute(request).base_url}/v2.1/servers/{server.id}/tags/{tag}"
    return empty_response(201, headers={"Location": location})


@router.delete("/v2.1/servers/{id}/tags/{tag}")
async def tag_delete(request: Request) -> Response:
    _tags_api(request)
    tag = request.path_params["tag"]
    with compute(request).write() as s:
        server = _write(request, s, request.path_params["id"])
        row = s.get(m.ServerTag, (server.id, tag))
        if row is None:
            raise NotFound(f"Tag {tag} could not be found on instance {server.id}.")
        s.delete(row)
        servers.update(s, server, {})
    return empty_response(204)
