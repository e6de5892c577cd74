"""The uniform REST of Neutron's resources: list, create (one or in bulk), show, update
and delete of networks, subnets, subnet pools, ports, routers, floating IPs, security
groups and rules, and agents. What differs between them is in :data:`RESOURCES`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from runtime.common.context import Context
from runtime.common.web import ApiRouter, empty_response, json_response
from runtime.network import schemas
from runtime.network.api.common import V2, body, caller, fields, list_body, network
from runtime.network.errors import BadRequest
from runtime.network.service import (
    agents,
    floatingips,
    networks,
    ports,
    routers,
    security_groups,
    subnetpools,
    subnets,
)
from runtime.network.service.core import Network, check_revision, enforce
from runtime.network.service.query import only_fields

router = ApiRouter()

Row = Any
View = dict[str, Any]


@dataclass(frozen=True)
class Resource:
    member: str
    collection: str
    get: Callable[[Session, Context, str], Row]
    visible: Callable[[Session, Context], Sequence[Row]]
    views: Callable[[Network, Session, Context, Sequence[Row]], list[View]]
    create: Callable[[Network, Session, Context, dict[str, Any]], Row] | None
    update: Callable[[Network, Session, Context, Row, dict[str, Any]], None] | None
    delete: Callable[[Network, Session, Context, Row], None]
    # Runs before a list or show (the lazy default security group).
    prepare: Callable[[Network, Context], None] | None = None

    @property
    def key(self) -> str:
        """The collection's name in JSON bodies (URLs use dashes, bodies underscores)."""
        return self.collection.replace("-", "_")


def _ensure_default_group(svc: Network, ctx: Context) -> None:
    if not ctx.project_id:
        return
    # Look first without the write lock: the group exists on every call but the first.
    with svc.read() as s:
        if security_groups.has_default(s, ctx.project_id):
            return
    with svc.write() as s:
        security_groups.ensure_default(s, ctx.project_id)


RESOURCES: tuple[Resource, ...] = (
    Resource("network", "networks", networks.get, networks.visible,
             lambda _n, s, c, r: networks.views(s, c, r), networks.create, networks.update,
             lambda _n, s, c, r: networks.delete(s, c, r)),
    Resource("subnet", "subnets", subnets.get, subnets.visible,
             lambda _n, s, c, r: subnets.views(s, c, r), subnets.create, subnets.update,
             lambda _n, s, c, r: subnets.delete(s, c, r)),
    Resource("subnetpool", "subnetpools", subnetpools.get, subnetpools.visible,
             lambda _n, s, c, r: subnetpools.views(s, c, r), subnetpools.create,
             lambda _n, s, c, r, d: subnetpools.update(s, c, r, d),
             lambda _n, s, c, r: subnetpools.delete(s, c, r)),
    Resource("port", "ports", ports.get, ports.visible,
             lambda _n, s, c, r: ports.views(s, c, r), ports.create, ports.update,
             lambda _n, s, c, r: ports.delete(s, c, r)),
    Resource("router", "routers", routers.get, routers.visible,
             lambda _n, s, c, r: routers.views(s, c, r), routers.create, routers.update,
             lambda _n, s, c, r: routers.delete(s, c, r)),
    Resource("floatingip", "floatingips", floatingips.get, floatingips.visible,
             lambda _n, s, c, r: floatingips.views(s, c, r), floatingips.create,
             lambda _n, s, c, r, d: floatingips.update(s, c, r, d),
             lambda _n, s, c, r: floatingips.delete(s, c, r)),
    Resource("security_group", "security-groups", security_groups.get,
             security_groups.visible, lambda _n, s, c, r: security_groups.views(s, c, r),
             security_groups.create,
             lambda _n, s, c, r, d: security_groups.update(s, c, r, d),
             lambda _n, s, c, r: security_groups.delete(s, c, r),
             prepare=_ensure_default_group),
    Resource("security_group_rule", "security-group-rules", security_groups.get_rule,
             security_groups.visible_rules,
             lambda _n, s, c, r: security_groups.rule_views(s, c, r),
             security_groups.create_rule, None,
             lambda _n, s, c, r: security_groups.delete_rule(s, c, r),
             prepare=_ensure_default_group),
    Resource("agent", "agents", agents.get, agents.listing,
             lambda n, _s, _c, r: agents.views(n, r), None,
             lambda _n, s, c, r, d: agents.update(s, c, r, d),
             lambda _n, s, c, r: agents.delete(s, c, r)),
)
BY_COLLECTION = {r.collection: r for r in RESOURCES}


def resource_of(request: Request) -> Resource:
    # The collection is the path's first segment after /v2.0.
    path = request.url.path.split(V2 + "/", 1)[1]
    return BY_COLLECTION[path.split("/", 1)[0]]


async def index(request: Request) -> Response:
    res = resource_of(request)
    ctx = caller(request)
    enforce(ctx, "list")
    svc = network(request)
    if res.prepare is not None:
        res.prepare(svc, ctx)
    with svc.read() as s:
        views = res.views(svc, s, ctx, res.visible(s, ctx))
    return json_response(list_body(request, res.collection, res.key, views))


async def create(request: Request) -> Response:
    res = resource_of(request)
    ctx = caller(request)
    svc = network(request)
    data = await body(request)
    assert res.create is not None  # only routed for resources that can be created
    if isinstance(data, dict) and isinstance(data.get(res.key), list) and len(data) == 1:
        items, bulk = data[res.key], True
        if not items:
            raise BadRequest("Resources required")
    elif isinstance(data, dict) and isinstance(data.get(res.member), dict) and len(data) == 1:
        items, bulk = [data[res.member]], False
    else:
        raise BadRequest(f"Unable to find '{res.member}' in request body")
    checked = [schemas.validate(res.member, item, create=True) for item in items]
    with svc.write() as s:
        rows = [res.create(svc, s, ctx, item) for item in checked]
        s.flush()
        views = res.views(svc, s, ctx, rows)
    if bulk:
        return json_response({res.key: views}, status=201)
    return json_response({res.member: views[0]}, status=201)


async def show(request: Request) -> Response:
    res = resource_of(request)
    ctx = caller(request)
    svc = network(request)
    if res.prepare is not None:
        res.prepare(svc, ctx)
    with svc.read() as s:
        row = res.get(s, ctx, request.path_params["id"])
        view = res.views(svc, s, ctx, [row])[0]
    return json_response({res.member: only_fields(view, fields(request))})


async def update(request: Request) -> Response:
    res = resource_of(request)
    ctx = caller(request)
    svc = network(request)
    assert res.update is not None  # only routed for resources that can be updated
    data = await body(request)
    if not isinstance(data, dict) or not isinstance(data.get(res.member), dict):
        raise BadRequest(f"Unable to find '{res.member}' in request body")
    checked = schemas.validate(res.member, data[res.member], create=False)
    with svc.write() as s:
        row = res.get(s, ctx, request.path_params["id"])
        check_revision(row, request.headers.get("if-match"))
        res.update(svc, s, ctx, row, checked)
        s.flush()
        view = res.views(svc, s, ctx, [row])[0]
    return json_response({res.member: view})


async def remove(request: Request) -> Response:
    res = resource_of(request)
    ctx = caller(request)
    svc = network(request)
    with svc.write() as s:
        row = res.get(s, ctx, request.path_params["id"])
        if hasattr(row, "revision_number"):
            check_revision(row, request.headers.get("if-match"))
        res.delete(svc, s, ctx, row)
    return empty_response()


for _res in RESOURCES:
    base = f"{V2}/{_res.collection}"
    router.get(base)(index)
    router.get(base + "/{id}")(show)
    router.delete(base + "/{id}")(remove)
    if _res.create is not None:
        router.post(base)(create)
    if _res.update is not None:
        router.put(base + "/{id}")(update)
