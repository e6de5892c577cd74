"""/limits and /os-quota-sets: what a project may use, and what it uses."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.context import Context
from runtime.common.web import ApiRouter, empty_response, json_response
from runtime.compute import schemas as sch
from runtime.compute.api.common import at_least, compute, enforce, entity
from runtime.compute.service import quotas as svc

router = ApiRouter()


def _shown(request: Request, values: dict[str, Any]) -> dict[str, Any]:
    """The resources a microversion shows (network ones before 2.36, personality
    before 2.57)."""
    out = dict(values)
    if at_least(request, "2.57"):
        for key in svc.PERSONALITY:
            out.pop(key, None)
    if not at_least(request, "2.36"):
        for key, default in svc.NETWORK_RESOURCES.items():
            out.setdefault(key, default)
    else:
        for key in svc.NETWORK_RESOURCES:
            out.pop(key, None)
    return out


@router.get("/v2.1/limits")
async def limits(request: Request) -> Response:
    ctx = enforce(request, "limits")
    project = request.query_params.get("tenant_id")
    if project and project != ctx.project_id:
        enforce(request, "limits:other_project")
    project = project or ctx.project_id or ""
    comp = compute(request)
    with comp.read() as s:
        q = svc.limits(s, comp.settings.quota, project)
        used = svc.usage(s, project)
    absolute: dict[str, Any] = {
        "maxServerMeta": q["metadata_items"], "maxTotalCores": q["cores"],
        "maxTotalInstances": q["instances"], "maxTotalKeypairs": q["key_pairs"],
        "maxTotalRAMSize": q["ram"], "maxServerGroups": q["server_groups"],
        "maxServerGroupMembers": q["server_group_members"],
        "totalCoresUsed": used.cores, "totalInstancesUsed": used.instances,
        "totalRAMUsed": used.ram, "totalServerGroupsUsed": used.server_groups}
    if not at_least(request, "2.39"):
        absolute["maxImageMeta"] = 128
    if not at_least(request, "2.57"):
        absolute.update(maxPersonality=q["injected_files"],
                        maxPersonalitySize=q["injected_file_content_bytes"])
    if not at_least(request, "2.36"):
        absolute.update(maxSecurityGroupRules=-1, maxSecurityGroups=-1,
                        maxTotalFloatingIps=-1, totalSecurityGroupsUsed=0,
                        totalFloatingIpsUsed=0)
    return json_response({"limits": {"rate": [], "absolute": absolute}})


def _target(ctx: Context, project_id: str) -> dict[str, Any]:
    return {"project_id": project_id, "user_id": ctx.user_id}


@router.get("/v2.1/os-quota-sets/{project_id}/defaults")
async def defaults(request: Request) -> Response:
    enforce(request, "quotas:defaults")
    comp = compute(request)
    with comp.read() as s:
        values = svc.class_defaults(s, comp.settings.quota)
    return json_response({"quota_set": {"id": request.path_params["project_id"],
                                        **_shown(request, values)}})


@router.get("/v2.1/os-quota-sets/{project_id}")
async def show(request: Request) -> Response:
    ctx = context_for(request)
    project_id = request.path_params["project_id"]
    enforce(request, "quotas:show", _target(ctx, project_id))
    comp = compute(request)
    with comp.read() as s:
        values = svc.limits(s, comp.settings.quota, project_id,
                            request.query_params.get("user_id"))
    return json_response({"quota_set": {"id": project_id, **_shown(request, values)}})


@router.get("/v2.1/os-quota-sets/{project_id}/detail")
async def detail(request: Request) -> Response:
    ctx = context_for(request)
    project_id = request.path_params["project_id"]
    enforce(request, "quotas:show", _target(ctx, project_id))
    user_id = request.query_params.get("user_id")
    comp = compute(request)
    with comp.read() as s:
        values = svc.limits(s, comp.settings.quota, project_id, user_id)
        used = svc.usage(s, project_id, user_id)
    shown = {k: {"limit": v, "in_use": used.get(k) if isinstance(v, int) else 0,
                 "reserved": 0} for k, v in _shown(request, values).items()}
    return json_response({"quota_set": {"id": project_id, **shown}})


@router.put("/v2.1/os-quota-sets/{project_id}")
async def update(request: Request) -> Response:
    enforce(request, "quotas:update")
    project_id = request.path_params["project_id"]
    data = await entity(request, "quota_set")
    allowed = set(_shown(request, svc.defaults(compute(request).settings.quota))) | {"force"}
    sch.only(data, allowed)
    force = bool(sch.boolean(data, "force", False))
    values: dict[str, int] = {}
    for key in data:
        if key != "force":
            values[key] = sch.integer(data, key, minimum=-1) or 0 \
                if data[key] is not None else -1
    user_id = request.query_params.get("user_id")
    comp = compute(request)
    with comp.write() as s:
        svc.update(s, project_id, user_id, values, force, comp.settings.quota)
        result = svc.limits(s, comp.settings.quota, project_id, user_id)
    return json_response({"quota_set": _shown(request, result)})


@router.delete("/v2.1/os-quota-sets/{project_id}")
async def revert(request: Request) -> Response:
    enforce(request, "quotas:update")
    with compute(request).write() as s:
        svc.revert(s, request.path_params["project_id"], request.query_params.get("user_id"))
    return empty_response(202)


# The default quota class (os-quota-class-sets/default): the defaults every project
# starts from, changed through the API instead of the configuration file.

def _class_shown(request: Request, values: dict[str, int]) -> dict[str, int]:
    out = _shown(request, values)
    if at_least(request, "2.50"):
        for key in svc.NETWORK_RESOURCES:
            out.pop(key, None)
    return out


@router.get("/v2.1/os-quota-class-sets/{id}")
async def class_show(request: Request) -> Response:
    enforce(request, "quota_classes:show")
    comp = compute(request)
    with comp.read() as s:
        values = svc.class_defaults(s, comp.settings.quota)
    return json_response({"quota_class_set": {"id": request.path_params["id"],
                                              **_class_shown(request, values)}})


@router.put("/v2.1/os-quota-class-sets/{id}")
async def class_update(request: Request) -> Response:
    enforce(request, "quota_classes:update")
    data = await entity(request, "quota_class_set")
    comp = compute(request)
    with comp.read() as s:
        allowed = set(_class_shown(request, svc.class_defaults(s, comp.settings.quota)))
    sch.only(data, allowed)
    values = {k: sch.integer(data, k, minimum=-1) or 0 if data[k] is not None else -1
              for k in data}
    with comp.write() as s:
        # Only the "default" class exists in Nova; other names are accepted and ignored.
        if request.path_params["id"] == "default":
            svc.update_class(s, values)
        result = svc.class_defaults(s, comp.settings.quota)
    return json_response({"quota_class_set": _class_shown(request, result)})


def context_for(request: Request) -> Context:
    from runtime.common.web import context

    return context(request)
