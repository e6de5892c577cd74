"""Interoperable import: POST /v2/images/{id}/import, the discovery documents under
/v2/info, store deletion and the tasks an import leaves."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.errors import BadRequest, Conflict, Forbidden, NotFound
from runtime.common.web import ApiRouter, empty_response, json_response
from runtime.image import models as m
from runtime.image import schemas as sch
from runtime.image.api.common import body, caller, images, task_view
from runtime.image.service import importing, tasks
from runtime.image.service.core import enforce, get_image

router = ApiRouter()


@router.post("/v2/images/{image_id}/import")
async def import_image(request: Request) -> Response:
    ctx = caller(request)
    req = sch.import_request(await body(request), request.headers.get("x-image-meta-store"))
    importing.start(images(request), ctx, request.path_params["image_id"], req)
    return empty_response(202)


@router.get("/v2/info/import")
async def info_import(request: Request) -> Response:
    caller(request)
    return json_response({"import-methods": {
        "description": "Import methods available.", "type": "array",
        "value": importing.methods(images(request))}})


@router.get("/v2/info/stores")
async def info_stores(request: Request) -> Response:
    caller(request)
    service = images(request)
    stores = []
    weighted = any(store.weight for store in service.stores.values())
    for name in service.by_weight(service.stores):
        store = service.stores[name]
        entry: dict[str, object] = {"id": name, "description": store.description}
        if name == service.settings.default_store:
            entry["default"] = True
        if weighted:
            entry["weight"] = store.weight
        stores.append(entry)
    return json_response({"stores": stores})


@router.get("/v2/info/usage")
async def info_usage(request: Request) -> Response:
    from runtime.image.service.data import project_usage
    from runtime.image.service.images import count_owned

    ctx = caller(request)
    service = images(request)
    settings = service.settings
    with service.read() as s:
        count, size = count_owned(s, ctx.project_id), project_usage(s, ctx.project_id)
    return json_response({"usage": {
        "image_count_total": {"limit": settings.image_count_total, "usage": count},
        "image_size_total": {"limit": settings.image_size_total, "usage": size}}})


@router.delete("/v2/stores/{store}/{image_id}")
async def delete_from_store(request: Request) -> Response:
    ctx = caller(request)
    service = images(request)
    name = request.path_params["store"]
    if name not in service.stores:
        raise BadRequest(f"Unknown store {name!r}.")
    with service.write() as s:
        image = get_image(s, ctx, request.path_params["image_id"])
        enforce(s, ctx, "delete_image", image)
        if image.status != "active":
            raise Conflict("It's not allowed to remove image data from store if image status "
                           "is not 'active'")
        loc = s.get(m.ImageLocation, (image.id, name))
        if loc is None:
            raise NotFound(f"Image {image.id} has no data in store {name}.")
        count = s.query(m.ImageLocation).filter(m.ImageLocation.image_id == image.id).count()
        if count <= 1:
            raise Forbidden("Cannot delete the last location of an image.")
        key = loc.key
        s.delete(loc)
    service.stores[name].delete(key)
    return empty_response()


@router.get("/v2/images/{image_id}/tasks")
async def image_tasks(request: Request) -> Response:
    ctx = caller(request)
    with images(request).read() as s:
        tasks = importing.tasks_of(s, ctx, request.path_params["image_id"])
        return json_response({"tasks": [task_view(t) for t in tasks]})


@router.get("/v2/tasks/{task_id}")
async def show_task(request: Request) -> Response:
    ctx = caller(request)
    with images(request).read() as s:
        return json_response(task_view(tasks.get(s, ctx, request.path_params["task_id"])))


@router.post("/v2/tasks")
async def create_task(request: Request) -> Response:
    ctx = caller(request)
    data = await body(request)
    task = tasks.create(images(request), ctx, data)
    with images(request).read() as s:
        return json_response(task_view(tasks.get(s, ctx, task.id)), status=201)


@router.get("/v2/tasks")
async def list_tasks(request: Request) -> Response:
    ctx = caller(request)
    with images(request).read() as s:
        found = tasks.list_tasks(s, ctx)
        return json_response({"tasks": [task_view(t) for t in found],
                              "first": "/v2/tasks", "schema": "/v2/schemas/tasks"})
