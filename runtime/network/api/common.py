"""Helpers every network API module uses: the service, the caller, bodies, and the
list machinery (filters, sorting, pages, fields) applied to views."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request

from runtime.common.context import Context
from runtime.common.web import context, json_body
from runtime.network.errors import BadRequest, NeutronError
from runtime.network.service import Network
from runtime.network.service import query as q

V2 = "/v2.0"


def network(request: Request) -> Network:
    svc: Network = request.app.state.network
    return svc


def caller(request: Request) -> Context:
    """The authenticated caller: every Neutron call but version discovery needs a token."""
    ctx = context(request)
    if not ctx.authenticated:
        raise NeutronError("Authentication required", status=401)
    return ctx


async def body(request: Request) -> Any:
    return await json_body(request, network(request).settings.max_request_body_size)


async def member_body(request: Request, member: str) -> dict[str, Any]:
    data = await body(request)
    if not isinstance(data, dict) or not isinstance(data.get(member), dict):
        raise BadRequest(f"Unable to find '{member}' in request body")
    if len(data) != 1:
        raise BadRequest(f"Unrecognized attribute(s) "
                         f"'{', '.join(sorted(k for k in data if k != member))}'")
    value: dict[str, Any] = data[member]
    return value


def fields(request: Request) -> list[str]:
    return q.field_list(request.query_params.getlist("fields"))


Views = Callable[[Session, Context, Sequence[Any]], list[dict[str, Any]]]


def list_body(request: Request, collection: str, key: str,
              views: list[dict[str, Any]]) -> dict[str, Any]:
    """Neutron's list response for ``views`` under the request's query parameters."""
    svc = network(request)
    params = list(request.query_params.multi_items())
    query = q.parse(params, svc.settings.pagination_max_limit)
    chosen = q.select_views(views, query)
    chosen = q.order(chosen, query, set(views[0]) if views else None)
    result = q.page(chosen, query)
    out: dict[str, Any] = {key: [q.only_fields(v, query.fields) for v in result.items]}
    links = q.links(f"{svc.base_url}{V2}/{collection}", params, result, query)
    if links:
        out[f"{key}_links"] = links
    return out
