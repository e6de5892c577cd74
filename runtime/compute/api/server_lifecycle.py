"""Server actions that remake a guest: rescue/unrescue, resize with confirm/revert,
rebuild, createImage and createBackup (registered with the action dispatcher of
server_actions)."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.context import Context
from runtime.common.errors import BadRequest, NotFound
from runtime.common.web import ApiRouter, empty_response, json_response
from runtime.compute import models as m
from runtime.compute import schemas as sch
from runtime.compute.api.common import at_least, compute
from runtime.compute.api.server_actions import action
from runtime.compute.api.views import action_view
from runtime.compute.service import lifecycle, quotas, servers, snapshots
from runtime.compute.service.core import get_server

router = ApiRouter()  # the routes are server_actions'; this module adds actions to it


def _obj(name: str, args: Any, nullable: bool = True) -> dict[str, Any]:
    if args is None and nullable:
        return {}
    if not isinstance(args, dict):
        raise sch.invalid(name, args, "is not of type 'object'")
    return args


@action("rescue")
async def rescue(request: Request, ctx: Context, server_id: str, args: Any) -> Response:
    data = _obj("rescue", args)
    sch.only(data, ("adminPass", "rescue_image_ref"))
    comp = compute(request)
    ref = sch.string(data, "rescue_image_ref")
    image = servers.resolve_image(comp, ctx, ref) if ref else None
    with comp.write() as s:
        lifecycle.rescue(comp, s, ctx, get_server(s, ctx, server_id), image)
    return json_response({"adminPass": data.get("adminPass") or secrets.token_urlsafe(9)})


@action("unrescue")
async def unrescue(request: Request, ctx: Context, server_id: str, args: Any) -> Response:
    with compute(request).write() as s:
        lifecycle.unrescue(s, ctx, get_server(s, ctx, server_id))
    return empty_response(202)


@action("resize")
async def resize(request: Request, ctx: Context, server_id: str, args: Any) -> Response:
    data = _obj("resize", args, nullable=False)
    sch.only(data, ("flavorRef", "OS-DCF:diskConfig"))
    ref = data.get("flavorRef")
    if isinstance(ref, int) and not isinstance(ref, bool):
        ref = str(ref)
    if not isinstance(ref, str) or not ref:
        raise sch.invalid("flavorRef", ref, "'flavorRef' is a required property")
    comp = compute(request)
    with comp.write() as s:
        server = get_server(s, ctx, server_id)
        try:
            lifecycle.resize(comp, s, ctx, server, ref.rstrip("/").rsplit("/", 1)[-1])
        except NotFound:
            raise BadRequest("Unable to locate requested flavor.") from None
    return empty_response(202)


@action("confirmResize")
async def confirm(request: Request, ctx: Context, server_id: str, args: Any) -> Response:
    with compute(request).write() as s:
        lifecycle.confirm_resize(s, ctx, get_server(s, ctx, server_id))
    return empty_response(204)


@action("revertResize")
async def revert(request: Request, ctx: Context, server_id: str, args: Any) -> Response:
    with compute(request).write() as s:
        lifecycle.revert_resize(s, ctx, get_server(s, ctx, server_id))
    return empty_response(202)


REBUILD_FIELDS = {"imageRef", "name", "metadata", "adminPass", "accessIPv4", "accessIPv6",
                  "OS-DCF:diskConfig", "preserve_ephemeral"}
IP_FIELDS = (("accessIPv4", "access_ipv4", 4), ("accessIPv6", "access_ipv6", 6))


@action("rebuild")
async def rebuild(request: Request, ctx: Context, server_id: str, args: Any) -> Response:
    data = _obj("rebuild", args, nullable=False)
    allowed = set(REBUILD_FIELDS)
    for version, names in (("2.19", {"description"}), ("2.54", {"key_name"}),
                           ("2.57", {"user_data"}), ("2.63", {"trusted_image_certificates"}),
                           ("2.90", {"hostname"})):
        if at_least(request, version):
            allowed |= names
    if not at_least(request, "2.57"):
        allowed.add("personality")
    sch.only(data, allowed)
    image_ref = sch.string(data, "imageRef", required=True, min_len=1)
    assert image_ref is not None
    fields: dict[str, Any] = {}
    if "name" in data:
        fields["name"] = sch.string(data, "name", min_len=1, name_like=True)
    if "metadata" in data:
        fields["metadata_"] = sch.metadata(data["metadata"])
    if "description" in data:
        fields["description"] = sch.string(data, "description", nullable=True)
    if "user_data" in data:
        fields["user_data"] = sch.string(data, "user_data", max_len=65535, nullable=True)
    if "hostname" in data:
        fields["hostname"] = sch.string(data, "hostname", min_len=1, max_len=63)
    for key, column, family in IP_FIELDS:
        if key in data:
            fields[column] = sch.ip_address(data, key, family)
    comp = compute(request)
    with comp.write() as s:
        server = get_server(s, ctx, server_id)
        if "key_name" in data:
            key_name = sch.string(data, "key_name", nullable=True)
            pair = s.get(m.KeyPair, (ctx.user_id or "", key_name)) if key_name else None
            if key_name and pair is None:
                raise BadRequest("Invalid key_name provided.")
            fields["key_name"] = key_name
            fields["key_data"] = pair.public_key if pair else None
        lifecycle.rebuild(comp, s, ctx, server, image_ref, fields)
        view = action_view(request, s, server, rebuild=True)
    view["adminPass"] = data.get("adminPass") or secrets.token_urlsafe(9)
    return json_response({"server": view}, status=202)


async def _snapshot(request: Request, ctx: Context, server_id: str, data: dict[str, Any],
                    backup: snapshots.Backup | None = None) -> str:
    """createImage and createBackup alike: start the task, then answer once the host has
    uploaded the image (Nova creates it in Glance first and clients look it up as soon
    as this returns; the image client cannot create one without its data), or after
    snapshot_wait seconds at most. The new image's id."""
    name = sch.string(data, "name", required=True, min_len=1)
    assert name is not None
    metadata = sch.metadata(data.get("metadata", {}))
    comp = compute(request)
    with comp.write() as s:
        if not at_least(request, "2.39"):
            # Until 2.39 Nova counts the image's metadata against the metadata quota.
            quotas.check_metadata(comp.settings.quota, s, ctx.project_id or "",
                                  len(metadata))
        image_id = snapshots.start(s, ctx, get_server(s, ctx, server_id), name, metadata,
                                   backup)

    def uploaded() -> bool:
        with comp.read() as s:
            return not snapshots.in_progress(s.get(m.Server, server_id))

    await comp.wait_until(uploaded, comp.settings.snapshot_wait)
    return image_id


@action("createImage")
async def create_image(request: Request, ctx: Context, server_id: str, args: Any) -> Response:
    data = _obj("createImage", args, nullable=False)
    sch.only(data, ("name", "metadata"))
    image_id = await _snapshot(request, ctx, server_id, data)
    if at_least(request, "2.45"):
        return json_response({"image_id": image_id}, status=202)
    location = compute(request).public_url + f"/image/v2/images/{image_id}"
    return empty_response(202, headers={"Location": location})


@action("createBackup")
async def create_backup(request: Request, ctx: Context, server_id: str, args: Any) -> Response:
    data = _obj("createBackup", args, nullable=False)
    sch.only(data, ("name", "backup_type", "rotation", "metadata"))
    backup_type = sch.string(data, "backup_type", required=True)
    rotation = sch.integer(data, "rotation", required=True, minimum=0)
    assert backup_type is not None and rotation is not None
    image_id = await _snapshot(request, ctx, server_id, data,
                               snapshots.Backup(backup_type, rotation))
    if at_least(request, "2.45"):
        return json_response({"image_id": image_id}, status=202)
    # Before 2.45 the image is named by a Location header into the (compute) image API,
    # unless a rotation of 0 has already deleted it.
    headers = {"Location": f"{compute(request).base_url}/v2.1/images/{image_id}"} \
        if rotation > 0 else None
    return empty_response(202, headers=headers)
