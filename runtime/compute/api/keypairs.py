"""/os-keypairs: import or generate, list, show, delete (per user; admins may act for
another user with ``user_id``, 2.10+)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.pagination import next_link, page_params, paginate
from runtime.common.web import ApiRouter, empty_response, json_response
from runtime.compute import models as m
from runtime.compute import schemas as sch
from runtime.compute.api.common import at_least, compute, enforce, entity
from runtime.compute.api.views import usec
from runtime.compute.service import keypairs as svc
from runtime.compute.service import quotas

router = ApiRouter()


def _user(request: Request, asked: str | None) -> str:
    """The user whose key pairs are meant: the caller, or (admins, 2.10+) ``user_id``."""
    ctx = enforce(request, "keypairs:own")
    if asked and asked != ctx.user_id and at_least(request, "2.10"):
        enforce(request, "keypairs:other_user")
        return asked
    return ctx.user_id or ""


def _brief(request: Request, k: m.KeyPair) -> dict[str, Any]:
    view: dict[str, Any] = {"name": k.name, "public_key": k.public_key,
                            "fingerprint": k.fingerprint}
    if at_least(request, "2.2"):
        view["type"] = k.type
    return view


def _full(request: Request, k: m.KeyPair) -> dict[str, Any]:
    view = _brief(request, k)
    view.update({"user_id": k.user_id, "id": k.id, "created_at": usec(k.created_at),
                 "deleted": False, "deleted_at": None, "updated_at": None})
    return view


@router.get("/v2.1/os-keypairs")
async def index(request: Request) -> Response:
    user_id = _user(request, request.query_params.get("user_id"))
    comp = compute(request)
    with comp.read() as s:
        pairs = svc.listing(s, user_id)
    out: dict[str, Any] = {}
    if at_least(request, "2.35"):
        page = page_params(request.query_params, comp.settings.list_max_limit)
        pairs, marker = paginate(pairs, page, lambda k: k.name)
        if marker is not None:
            out["keypairs_links"] = [next_link(comp.base_url + "/v2.1/os-keypairs",
                                               request.query_params, marker)]
    out["keypairs"] = [{"keypair": _brief(request, k)} for k in pairs]
    return json_response(out)


@router.post("/v2.1/os-keypairs")
async def create(request: Request) -> Response:
    data = await entity(request, "keypair")
    allowed = ["name", "public_key"]
    if at_least(request, "2.2"):
        allowed.append("type")
    if at_least(request, "2.10"):
        allowed.append("user_id")
    sch.only(data, allowed)
    name = sch.string(data, "name", required=True, min_len=1)
    assert name is not None
    svc.check_name(name, at_least(request, "2.92"))
    key_type = sch.string(data, "type") or "ssh"
    if key_type not in ("ssh", "x509"):
        raise sch.invalid("type", key_type, f"'{key_type}' is not one of ['ssh', 'x509']")
    user_id = _user(request, sch.string(data, "user_id"))
    public_key = sch.string(data, "public_key", max_len=65535)
    private_key = None
    if public_key is None:
        if at_least(request, "2.92"):
            raise sch.invalid("keypair", data, "'public_key' is a required property")
        # Nova generates RSA (ed25519 is what svc.generate offers besides) and, for
        # x509 pairs, a self-signed certificate.
        public_key, private_key = svc.generate_x509(user_id) if key_type == "x509" \
            else svc.generate("rsa")
    else:
        public_key = svc.validate_public_key(public_key, key_type)
    comp = compute(request)
    with comp.write() as s:
        limit = quotas.limits(s, comp.settings.quota, enforce(request, "keypairs:own")
                              .project_id or "", user_id)["key_pairs"]
        pair = svc.create(s, user_id, name, public_key, key_type, limit)
        view = _brief(request, pair)
        view["user_id"] = pair.user_id
    if private_key is not None:
        view["private_key"] = private_key
    return json_response({"keypair": view}, status=201 if at_least(request, "2.2") else 200)


@router.get("/v2.1/os-keypairs/{name}")
async def show(request: Request) -> Response:
    user_id = _user(request, request.query_params.get("user_id"))
    with compute(request).read() as s:
        pair = svc.get(s, user_id, request.path_params["name"])
        return json_response({"keypair": _full(request, pair)})


@router.delete("/v2.1/os-keypairs/{name}")
async def delete(request: Request) -> Response:
    user_id = _user(request, request.query_params.get("user_id"))
    with compute(request).write() as s:
        s.delete(svc.get(s, user_id, request.path_params["name"]))
    return empty_response(204 if at_least(request, "2.2") else 202)
