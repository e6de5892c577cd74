"""The smaller Keystone extensions: OS-POLICY (/v3/policies) and OS-OAUTH1 consumers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from runtime.common.web import ApiRouter, empty_response
from runtime.identity import models as m
from runtime.identity import schemas as sch
from runtime.identity.api.common import body, collection, enforce, ident, member, self_link
from runtime.identity.service import extensions as svc
from runtime.identity.service.listing import apply_filters

router = ApiRouter()
CONSUMERS = "/v3/OS-OAUTH1/consumers"


def policy_view(request: Request, p: m.Policy) -> dict[str, Any]:
    return {**p.extra, "id": p.id, "type": p.type, "blob": p.blob,
            "links": self_link(request, f"/v3/policies/{p.id}")}


def consumer_view(request: Request, c: m.Consumer) -> dict[str, Any]:
    return {**c.extra, "id": c.id, "description": c.description,
            "links": self_link(request, f"{CONSUMERS}/{c.id}")}


# --- OS-POLICY --------------------------------------------------------------------------


@router.get("/v3/policies")
async def list_policies(request: Request) -> Response:
    enforce(request, "identity:get_policies")
    with ident(request).read() as s:
        items = [policy_view(request, p) for p in s.scalars(select(m.Policy))]
    return collection(request, "policies", apply_filters(items, request.query_params, ("type",)))


@router.post("/v3/policies")
async def create_policy(request: Request) -> Response:
    enforce(request, "identity:policies")
    data = sch.entity(await body(request), "policy")
    with ident(request).write() as s:
        return member("policy", policy_view(request, svc.create_policy(s, data)), 201)


@router.get("/v3/policies/{policy_id}")
async def get_policy(request: Request) -> Response:
    enforce(request, "identity:get_policies")
    with ident(request).read() as s:
        p = svc.get_policy(s, request.path_params["policy_id"])
        return member("policy", policy_view(request, p))


@router.patch("/v3/policies/{policy_id}")
async def update_policy(request: Request) -> Response:
    enforce(request, "identity:policies")
    data = sch.entity(await body(request), "policy")
    with ident(request).write() as s:
        p = svc.update_policy(s, svc.get_policy(s, request.path_params["policy_id"]), data)
        return member("policy", policy_view(request, p))


@router.delete("/v3/policies/{policy_id}")
async def delete_policy(request: Request) -> Response:
    enforce(request, "identity:policies")
    with ident(request).write() as s:
        s.delete(svc.get_policy(s, request.path_params["policy_id"]))
    return empty_response()


# --- OS-OAUTH1 consumers ----------------------------------------------------------------


@router.get(CONSUMERS)
async def list_consumers(request: Request) -> Response:
    enforce(request, "identity:get_oauth_consumers")
    with ident(request).read() as s:
        items = [consumer_view(request, c) for c in s.scalars(select(m.Consumer))]
    return collection(request, "consumers", items)


@router.post(CONSUMERS)
async def create_consumer(request: Request) -> Response:
    enforce(request, "identity:oauth_consumers")
    data = sch.entity(await body(request), "consumer")
    with ident(request).write() as s:
        c = svc.create_consumer(s, data)
        # The only time the secret is shown: the consumer needs it to sign requests.
        return member("consumer", {**consumer_view(request, c), "secret": c.secret}, 201)


@router.get(CONSUMERS + "/{consumer_id}")
async def get_consumer(request: Request) -> Response:
    enforce(request, "identity:get_oauth_consumers")
    with ident(request).read() as s:
        c = svc.get_consumer(s, request.path_params["consumer_id"])
        return member("consumer", consumer_view(request, c))


@router.patch(CONSUMERS + "/{consumer_id}")
async def update_consumer(request: Request) -> Response:
    enforce(request, "identity:oauth_consumers")
    data = sch.entity(await body(request), "consumer")
    with ident(request).write() as s:
        c = svc.update_consumer(s, svc.get_consumer(s, request.path_params["consumer_id"]),
                                data)
        return member("consumer", consumer_view(request, c))


@router.delete(CONSUMERS + "/{consumer_id}")
async def delete_consumer(request: Request) -> Response:
    enforce(request, "identity:oauth_consumers")
    with ident(request).write() as s:
        s.delete(svc.get_consumer(s, request.path_params["consumer_id"]))
    return empty_response()
