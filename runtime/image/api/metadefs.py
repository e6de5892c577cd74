"""Metadata definitions: namespaces and their properties, objects, tags and resource
type associations, under /v2/metadefs."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.web import ApiRouter, empty_response, json_response
from runtime.image import models as m
from runtime.image.api.common import body, caller, images, iso
from runtime.image.service import metadefs as svc

router = ApiRouter()
NS = "/v2/metadefs/namespaces/{namespace}"


def namespace_view(ns: m.MetadefNamespace, full: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {
        "namespace": ns.namespace, "display_name": ns.display_name,
        "description": ns.description, "visibility": ns.visibility,
        "protected": ns.protected, "owner": ns.owner, "created_at": iso(ns.created_at),
        "updated_at": iso(ns.updated_at), "schema": "/v2/schemas/metadefs/namespace",
        "self": f"/v2/metadefs/namespaces/{ns.namespace}"}
    view = {k: v for k, v in view.items() if v is not None}
    if ns.resource_types:
        view["resource_type_associations"] = list(ns.resource_types.values())
    if full:
        if ns.properties:
            view["properties"] = ns.properties
        if ns.objects:
            view["objects"] = list(ns.objects.values())
        if ns.tags:
            view["tags"] = [{"name": t["name"]} for t in ns.tags.values()]
    return view


def _object_view(namespace: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {**obj, "schema": "/v2/schemas/metadefs/object",
            "self": f"/v2/metadefs/namespaces/{namespace}/objects/{obj['name']}"}


@router.get("/v2/metadefs/resource_types")
async def list_resource_types(request: Request) -> Response:
    caller(request)
    return json_response({"resource_types": [
        {"name": name, "created_at": "2014-08-28T17:13:04Z"} for name in svc.RESOURCE_TYPES]})


@router.get("/v2/metadefs/namespaces")
async def list_namespaces(request: Request) -> Response:
    ctx = caller(request)
    with images(request).read() as s:
        found = svc.list_namespaces(s, ctx)
        return json_response({"namespaces": [namespace_view(ns) for ns in found],
                              "first": "/v2/metadefs/namespaces",
                              "schema": "/v2/schemas/metadefs/namespaces"})


@router.post("/v2/metadefs/namespaces")
async def create_namespace(request: Request) -> Response:
    ctx = caller(request)
    data = await body(request)
    with images(request).write() as s:
        ns = svc.create(s, ctx, data)
        s.flush()
        return json_response(namespace_view(ns, full=True), status=201)


@router.get(NS)
async def show_namespace(request: Request) -> Response:
    ctx = caller(request)
    with images(request).read() as s:
        ns = svc.get(s, ctx, request.path_params["namespace"])
        return json_response(namespace_view(ns, full=True))


@router.put(NS)
async def update_namespace(request: Request) -> Response:
    ctx = caller(request)
    data = await body(request)
    with images(request).write() as s:
        ns = svc.update(s, ctx, request.path_params["namespace"], data)
        return json_response(namespace_view(ns))


@router.delete(NS)
async def delete_namespace(request: Request) -> Response:
    ctx = caller(request)
    with images(request).write() as s:
        svc.delete(s, ctx, request.path_params["namespace"])
    return empty_response()


# --- resource type associations -----------------------------------------------------------


@router.get(NS + "/resource_types")
async def list_associations(request: Request) -> Response:
    ctx = caller(request)
    with images(request).read() as s:
        ns = svc.get(s, ctx, request.path_params["namespace"])
        return json_response({"resource_type_associations": list(ns.resource_types.values())})


@router.post(NS + "/resource_types")
async def create_association(request: Request) -> Response:
    ctx = caller(request)
    data = await body(request)
    with images(request).write() as s:
        item = svc.add_part(s, ctx, request.path_params["namespace"], "resource_types", data)
    return json_response(item, status=201)


@router.delete(NS + "/resource_types/{name}")
async def delete_association(request: Request) -> Response:
    ctx = caller(request)
    p = request.path_params
    with images(request).write() as s:
        svc.delete_part(s, ctx, p["namespace"], "resource_types", p["name"])
    return empty_response()


# --- properties and objects ---------------------------------------------------------------


@router.get(NS + "/properties")
async def list_properties(request: Request) -> Response:
    ctx = caller(request)
    with images(request).read() as s:
        ns = svc.get(s, ctx, request.path_params["namespace"])
        return json_response({"properties": ns.properties,
                              "schema": "/v2/schemas/metadefs/properties"})


@router.get(NS + "/objects")
async def list_objects(request: Request) -> Response:
    ctx = caller(request)
    name = request.path_params["namespace"]
    with images(request).read() as s:
        ns = svc.get(s, ctx, name)
        return json_response({"objects": [_object_view(name, o) for o in ns.objects.values()],
                              "schema": "/v2/schemas/metadefs/objects"})


def _item_routes(part: str) -> None:
    """Create, show, replace and delete one property (or object) of a namespace."""

    def shown(request: Request, item: dict[str, Any]) -> dict[str, Any]:
        if part == "objects":
            return _object_view(request.path_params["namespace"], item)
        return item

    @router.post(f"{NS}/{part}")
    async def create_item(request: Request) -> Response:
        ctx = caller(request)
        data = await body(request)
        with images(request).write() as s:
            item = svc.add_part(s, ctx, request.path_params["namespace"], part, data)
        return json_response(shown(request, item), status=201)

    @router.get(f"{NS}/{part}/{{name}}")
    async def show_item(request: Request) -> Response:
        ctx = caller(request)
        p = request.path_params
        with images(request).read() as s:
            item = svc.get_part(s, ctx, p["namespace"], part, p["name"])
        return json_response(shown(request, item))

    @router.put(f"{NS}/{part}/{{name}}")
    async def update_item(request: Request) -> Response:
        ctx = caller(request)
        p = request.path_params
        data = await body(request)
        with images(request).write() as s:
            item = svc.replace_part(s, ctx, p["namespace"], part, p["name"], data)
        return json_response(shown(request, item))

    @router.delete(f"{NS}/{part}/{{name}}")
    async def delete_item(request: Request) -> Response:
        ctx = caller(request)
        p = request.path_params
        with images(request).write() as s:
            svc.delete_part(s, ctx, p["namespace"], part, p["name"])
        return empty_response()


_item_routes("properties")
_item_routes("objects")


# --- tags ---------------------------------------------------------------------------------


@router.get(NS + "/tags")
async def list_tags(request: Request) -> Response:
    ctx = caller(request)
    with images(request).read() as s:
        ns = svc.get(s, ctx, request.path_params["namespace"])
        return json_response({"tags": list(ns.tags.values())})


@router.post(NS + "/tags")
async def replace_tags(request: Request) -> Response:
    ctx = caller(request)
    data = await body(request)
    with images(request).write() as s:
        tags = svc.replace_tags(s, ctx, request.path_params["namespace"], data)
    return json_response({"tags": tags}, status=201)


@router.delete(NS + "/tags")
async def delete_tags(request: Request) -> Response:
    ctx = caller(request)
    with images(request).write() as s:
        svc.delete_part(s, ctx, request.path_params["namespace"], "tags", None)
    return empty_response()


@router.post(NS + "/tags/{name}")
async def create_tag(request: Request) -> Response:
    ctx = caller(request)
    p = request.path_params
    with images(request).write() as s:
        item = svc.add_part(s, ctx, p["namespace"], "tags", {"name": p["name"]})
    return json_response(item, status=201)


@router.get(NS + "/tags/{name}")
async def show_tag(request: Request) -> Response:
    ctx = caller(request)
    p = request.path_params
    with images(request).read() as s:
        return json_response(svc.get_part(s, ctx, p["namespace"], "tags", p["name"]))


@router.put(NS + "/tags/{name}")
async def update_tag(request: Request) -> Response:
    ctx = caller(request)
    p = request.path_params
    data = await body(request)
    with images(request).write() as s:
        item = svc.replace_part(s, ctx, p["namespace"], "tags", p["name"], data)
    return json_response(item)


@router.delete(NS + "/tags/{name}")
async def delete_tag(request: Request) -> Response:
    ctx = caller(request)
    p = request.path_params
    with images(request).write() as s:
        svc.delete_part(s, ctx, p["namespace"], "tags", p["name"])
    return empty_response()
