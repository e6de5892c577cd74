"""The five routes of a plain identity resource (list, create, show, update, delete).

Most Keystone resources differ only in their key, views, rules and domain functions;
declaring those once keeps the routes identical where the API is identical. Resources
with routes of their own (PUT-to-create regions, endpoints' list filters...) still
declare them by hand next to a :class:`Resource` that covers the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from runtime.common.web import ApiRouter, empty_response
from runtime.identity import schemas as sch
from runtime.identity.api.common import body, collection, enforce, ident, member
from runtime.identity.service.listing import apply_filters

T = TypeVar("T")
View = Callable[[Request, T], dict[str, Any]]


def _delete(s: Session, obj: Any) -> None:
    s.delete(obj)


@dataclass(frozen=True)
class Resource(Generic[T]):
    key: str  # "policy"
    plural: str  # "policies"
    path: str  # "/v3/policies"
    view: View[T]
    find: Callable[[Session, str], T]  # NotFound when missing
    query: Callable[[Session], Iterable[T]]
    create: Callable[[Session, dict[str, Any]], T]
    update: Callable[[Session, T, dict[str, Any]], T]
    read_rule: str
    write_rule: str
    delete: Callable[[Session, T], None] = _delete
    filters: tuple[str, ...] = ()
    # The create response, when it shows more than later reads (a one-time secret).
    created_view: View[T] | None = None

    def register(self, router: ApiRouter) -> None:
        one = self.path + "/{id}"

        async def list_(request: Request) -> Response:
            enforce(request, self.read_rule)
            with ident(request).read() as s:
                items = [self.view(request, o) for o in self.query(s)]
            items = apply_filters(items, request.query_params, self.filters)
            return collection(request, self.plural, items)

        async def create(request: Request) -> Response:
            enforce(request, self.write_rule)
            data = sch.entity(await body(request), self.key)
            with ident(request).write() as s:
                obj = self.create(s, data)
                return member(self.key, (self.created_view or self.view)(request, obj), 201)

        async def show(request: Request) -> Response:
            enforce(request, self.read_rule)
            with ident(request).read() as s:
                return member(self.key, self.view(request, self.find(s, request.path_params["id"])))

        async def update(request: Request) -> Response:
            enforce(request, self.write_rule)
            data = sch.entity(await body(request), self.key)
            with ident(request).write() as s:
                obj = self.update(s, self.find(s, request.path_params["id"]), data)
                return member(self.key, self.view(request, obj))

        async def delete(request: Request) -> Response:
            enforce(request, self.write_rule)
            with ident(request).write() as s:
                self.delete(s, self.find(s, request.path_params["id"]))
            return empty_response()

        router.get(self.path)(list_)
        router.post(self.path)(create)
        router.get(one)(show)
        router.patch(one)(update)
        router.delete(one)(delete)
