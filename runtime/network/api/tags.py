"""/v2.0/{resources}/{id}/tags: replace, add, check and remove a resource's tags."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.web import ApiRouter, empty_response, json_response
from runtime.network.api.common import V2, body, caller, network
from runtime.network.api.resources import BY_COLLECTION
from runtime.network.errors import BadRequest, NotFound
from runtime.network.service import tags
from runtime.network.service.core import enforce

router = ApiRouter()

TAGGED = ("networks", "subnets", "subnetpools", "ports", "routers", "floatingips",
          "security-groups")
MANAGE = {"networks": "manage_network", "subnets": "manage_subnet",
          "subnetpools": "manage_subnetpool", "ports": "manage_port",
          "routers": "manage_router", "floatingips": "manage_floatingip",
          "security-groups": "manage_security_group"}


def _collection(request: Request) -> str:
    return request.url.path.split(V2 + "/", 1)[1].split("/", 1)[0]


async def index(request: Request) -> Response:
    ctx = caller(request)
    svc = network(request)
    with svc.read() as s:
        row = BY_COLLECTION[_collection(request)].get(s, ctx, request.path_params["id"])
        return json_response({"tags": tags.listing(s, row.id)})


async def replace(request: Request) -> Response:
    ctx = caller(request)
    svc = network(request)
    data = await body(request)
    if not isinstance(data, dict) or "tags" not in data or len(data) != 1:
        raise BadRequest("Invalid input for tags. Reason: the body must be {'tags': [...]}.")
    collection = _collection(request)
    with svc.write() as s:
        row = BY_COLLECTION[collection].get(s, ctx, request.path_params["id"])
        enforce(ctx, MANAGE[collection], {"project_id": row.project_id})
        return json_response({"tags": tags.replace(s, row, data["tags"])})


async def clear(request: Request) -> Response:
    ctx = caller(request)
    svc = network(request)
    collection = _collection(request)
    with svc.write() as s:
        row = BY_COLLECTION[collection].get(s, ctx, request.path_params["id"])
        enforce(ctx, MANAGE[collection], {"project_id": row.project_id})
        tags.clear(s, row)
    return empty_response()


async def check(request: Request) -> Response:
    ctx = caller(request)
    svc = network(request)
    with svc.read() as s:
        row = BY_COLLECTION[_collection(request)].get(s, ctx, request.path_params["id"])
        if request.path_params["tag"] not in tags.listing(s, row.id):
            raise NotFound(f"Tag {request.path_params['tag']} could not be found.",
                           type="TagNotFound")
    return empty_response()


async def add(request: Request) -> Response:
    ctx = caller(request)
    svc = network(request)
    collection = _collection(request)
    with svc.write() as s:
        row = BY_COLLECTION[collection].get(s, ctx, request.path_params["id"])
        enforce(ctx, MANAGE[collection], {"project_id": row.project_id})
        tags.add(s, row, request.path_params["tag"])
    return empty_response(201)


async def remove(request: Request) -> Response:
    ctx = caller(request)
    svc = network(request)
    collection = _collection(request)
    with svc.write() as s:
        row = BY_COLLECTION[collection].get(s, ctx, request.path_params["id"])
        enforce(ctx, MANAGE[collection], {"project_id": row.project_id})
        tags.remove(s, row, request.path_params["tag"])
    return empty_response()


for _collection_name in TAGGED:
    _base = f"{V2}/{_collection_name}/{{id}}/tags"
    router.get(_base)(index)
    router.put(_base)(replace)
    router.delete(_base)(clear)
    router.get(_base + "/{tag}")(check)
    router.put(_base + "/{tag}")(add)
    router.delete(_base + "/{tag}")(remove)
