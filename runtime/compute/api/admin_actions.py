"""Administrators' server actions (os-resetState, migrate) and server diagnostics, and
the soft-delete actions (restore, forceDelete) that here always find nothing to do."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.context import Context
from runtime.common.errors import BadRequest
from runtime.common.web import ApiRouter, empty_response, json_response
from runtime.compute import schemas as sch
from runtime.compute import states
from runtime.compute.api.common import at_least, compute, enforce
from runtime.compute.api.server_actions import action
from runtime.compute.service import actions
from runtime.compute.service.core import get_server

router = ApiRouter()


@action("os-resetState")
async def reset_state(request: Request, ctx: Context, server_id: str, args: Any) -> Response:
    enforce(request, "servers:reset_state")
    if not isinstance(args, dict):
        raise sch.invalid("os-resetState", args, "is not of type 'object'")
    sch.only(args, ("state",))
    state = args.get("state")
    if state not in ("active", "error"):
        raise sch.invalid("state", state, f"{state!r} is not one of ['active', 'error']")
    with compute(request).write() as s:
        actions.reset_state(s, get_server(s, ctx, server_id), state)
    return empty_response(202)


@action("restore")
@action("forceDelete")
async def soft_delete_actions(request: Request, ctx: Context, server_id: str,
                              args: Any) -> Response:
    with compute(request).read() as s:
        server = get_server(s, ctx, server_id)
        # Raises 409: no server is ever SOFT_DELETED here.
        states.begin("restore", server.id, server.vm_state, server.task_state)
    return empty_response(202)


@action("migrate")
async def migrate(request: Request, ctx: Context, server_id: str, args: Any) -> Response:
    enforce(request, "servers:migrate")
    with compute(request).read() as s:
        get_server(s, ctx, server_id)
    raise BadRequest("Cold migration is not supported yet.")


@router.get("/v2.1/servers/{id}/diagnostics")
async def diagnostics(request: Request) -> Response:
    """What the controller knows of the guest (live counters need the host's agent)."""
    ctx = enforce(request, "servers:diagnostics")
    with compute(request).read() as s:
        server = get_server(s, ctx, request.path_params["id"])
        flavor = dict(server.flavor)
        power = server.power_state
        config_drive = server.config_drive
    if not at_least(request, "2.48"):
        # The libvirt driver's old free-form keys; no live counters are collected yet.
        return json_response({"cpu0_time": 0, "memory": flavor.get("ram", 0) * 1024,
                              "vda_read": 0, "vda_read_req": 0, "vda_write": 0,
                              "vda_write_req": 0, "vda_errors": -1})
    states_by_power = {0: "pending", 1: "running", 3: "paused", 4: "shutdown", 6: "crashed",
                       7: "suspended"}
    return json_response({
        "state": states_by_power.get(power, "pending"), "driver": "libvirt",
        "hypervisor": "qemu", "hypervisor_os": "linux", "uptime": None,
        "config_drive": config_drive, "num_cpus": flavor.get("vcpus", 0),
        "num_nics": 0, "num_disks": 2 if config_drive else 1,
        "memory_details": {"maximum": flavor.get("ram", 0), "used": 0},
        "cpu_details": [], "nic_details": [], "disk_details": []})
