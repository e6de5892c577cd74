"""/flavors, their os-extra_specs and os-flavor-access."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from runtime.common.errors import BadRequest
from runtime.common.pagination import next_link, page_params, paginate
from runtime.common.web import ApiRouter, empty_response, json_response
from runtime.compute import models as m
from runtime.compute import schemas as sch
from runtime.compute.api.common import at_least, body, compute, enforce, entity, link, member
from runtime.compute.service import flavors as svc

router = ApiRouter()


def flavor_view(request: Request, s: Session, f: m.Flavor, detail: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {"id": f.id, "name": f.name, "links": link(request, f"/flavors/{f.id}")}
    if at_least(request, "2.55"):
        view["description"] = f.description
    if not detail:
        return view
    view.update({
        "ram": f.memory_mb, "disk": f.root_gb, "vcpus": f.vcpus,
        # Before 2.75 a flavor without swap showed "" (an old quirk clients expect).
        "swap": f.swap if f.swap or at_least(request, "2.75") else "",
        "OS-FLV-EXT-DATA:ephemeral": f.ephemeral_gb,
        "OS-FLV-DISABLED:disabled": f.disabled,
        "os-flavor-access:is_public": f.is_public,
        "rxtx_factor": f.rxtx_factor,
    })
    if at_least(request, "2.61"):
        view["extra_specs"] = svc.extra_specs(s, f.id)
    return view


async def _list(request: Request, detail: bool) -> Response:
    ctx = enforce(request, "flavors:read")
    page = page_params(request.query_params, compute(request).settings.list_max_limit)
    with compute(request).read() as s:
        flavors = svc.listing(s, ctx, request.query_params)
        chunk, marker = paginate(flavors, page, lambda f: f.id)
        items = [flavor_view(request, s, f, detail) for f in chunk]
    out: dict[str, Any] = {"flavors": items}
    if marker is not None:
        base = compute(request).base_url + "/v2.1/flavors" + ("/detail" if detail else "")
        out["flavors_links"] = [next_link(base, request.query_params, marker)]
    return json_response(out)


@router.get("/v2.1/flavors")
async def index(request: Request) -> Response:
    return await _list(request, False)


@router.get("/v2.1/flavors/detail")
async def detail(request: Request) -> Response:
    return await _list(request, True)


@router.get("/v2.1/flavors/{id}")
async def show(request: Request) -> Response:
    ctx = enforce(request, "flavors:read")
    with compute(request).read() as s:
        flavor = svc.get(s, ctx, request.path_params["id"])
        return member("flavor", flavor_view(request, s, flavor))


@router.post("/v2.1/flavors")
async def create(request: Request) -> Response:
    enforce(request, "flavors:manage")
    fields = sch.flavor_create(await entity(request, "flavor"), at_least(request, "2.55"))
    with compute(request).write() as s:
        flavor = svc.create(s, svc.FlavorSpec(**fields))
        return member("flavor", flavor_view(request, s, flavor))


@router.put("/v2.1/flavors/{id}")
async def update(request: Request) -> Response:
    if not at_least(request, "2.55"):
        from runtime.common.errors import MethodNotAllowed

        raise MethodNotAllowed()
    ctx = enforce(request, "flavors:manage")
    data = await entity(request, "flavor")
    sch.only(data, ("description",))
    if "description" not in data:
        raise sch.invalid("flavor", data, "'description' is a required property")
    description = sch.string(data, "description", max_len=65535, nullable=True)
    with compute(request).write() as s:
        flavor = svc.update_description(s, svc.get(s, ctx, request.path_params["id"]),
                                        description)
        return member("flavor", flavor_view(request, s, flavor))


@router.delete("/v2.1/flavors/{id}")
async def delete(request: Request) -> Response:
    ctx = enforce(request, "flavors:manage")
    with compute(request).write() as s:
        svc.destroy(s, svc.get(s, ctx, request.path_params["id"]))
    return empty_response(202)


# Extra specs ---------------------------------------------------------------------------

@router.get("/v2.1/flavors/{id}/os-extra_specs")
async def specs_index(request: Request) -> Response:
    ctx = enforce(request, "flavors:extra_specs:read")
    with compute(request).read() as s:
        flavor = svc.get(s, ctx, request.path_params["id"])
        return json_response({"extra_specs": svc.extra_specs(s, flavor.id)})


@router.post("/v2.1/flavors/{id}/os-extra_specs")
async def specs_create(request: Request) -> Response:
    ctx = enforce(request, "flavors:manage")
    data = await body(request)
    if not isinstance(data, dict) or not isinstance(data.get("extra_specs"), dict):
        raise sch.invalid("extra_specs", data, "'extra_specs' is a required property")
    with compute(request).write() as s:
        flavor = svc.get(s, ctx, request.path_params["id"])
        return json_response({"extra_specs": svc.set_extra_specs(s, flavor,
                                                                 data["extra_specs"])})


@router.get("/v2.1/flavors/{id}/os-extra_specs/{key}")
async def spec_show(request: Request) -> Response:
    ctx = enforce(request, "flavors:extra_specs:read")
    key = request.path_params["key"]
    with compute(request).read() as s:
        flavor = svc.get(s, ctx, request.path_params["id"])
        specs = svc.extra_specs(s, flavor.id)
    if key not in specs:
        from runtime.common.errors import NotFound

        raise NotFound(f"Flavor {flavor.id} has no extra specs with key {key}.")
    return json_response({key: specs[key]})


@router.put("/v2.1/flavors/{id}/os-extra_specs/{key}")
async def spec_update(request: Request) -> Response:
    ctx = enforce(request, "flavors:manage")
    key = request.path_params["key"]
    data = await body(request)
    if not isinstance(data, dict) or len(data) != 1:
        raise BadRequest("Request body contains too many items" if isinstance(data, dict)
                         else "Malformed request body")
    if key not in data:
        raise BadRequest("Request body and URI mismatch")
    with compute(request).write() as s:
        flavor = svc.get(s, ctx, request.path_params["id"])
        return json_response(svc.set_extra_specs(s, flavor, data))


@router.delete("/v2.1/flavors/{id}/os-extra_specs/{key}")
async def spec_delete(request: Request) -> Response:
    ctx = enforce(request, "flavors:manage")
    with compute(request).write() as s:
        svc.delete_extra_spec(s, svc.get(s, ctx, request.path_params["id"]),
                              request.path_params["key"])
    return empty_response(200)


# Access to private flavors ------------------------------------------------------------

def _access(flavor_id: str, projects: list[str]) -> Response:
    return json_response({"flavor_access": [{"flavor_id": flavor_id, "tenant_id": p}
                                            for p in projects]})


@router.get("/v2.1/flavors/{id}/os-flavor-access")
async def access_index(request: Request) -> Response:
    ctx = enforce(request, "flavors:access:list")
    with compute(request).read() as s:
        flavor = svc.get(s, ctx, request.path_params["id"])
        return _access(flavor.id, svc.access_list(s, flavor))


@router.post("/v2.1/flavors/{id}/action")
async def access_action(request: Request) -> Response:
    ctx = enforce(request, "flavors:manage")
    data = await body(request)
    if not isinstance(data, dict) or len(data) != 1:
        raise BadRequest("Exactly one action is expected.")
    action, args = next(iter(data.items()))
    if action not in ("addTenantAccess", "removeTenantAccess") or not isinstance(args, dict):
        raise BadRequest(f"There is no such action: {action}")
    sch.only(args, ("tenant",))
    tenant = sch.string(args, "tenant", required=True, min_len=1)
    assert tenant is not None
    with compute(request).write() as s:
        flavor = svc.get(s, ctx, request.path_params["id"])
        if action == "addTenantAccess":
            svc.add_access(s, flavor, tenant)
        else:
            svc.remove_access(s, flavor, tenant)
        return _access(flavor.id, svc.access_list(s, flavor))
