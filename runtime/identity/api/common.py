"""Helpers every identity API module uses: the caller, policy, links, collections."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from runtime.common import policy
from runtime.common.context import Context
from runtime.common.web import context, json_body, json_response
from runtime.identity.policies import RULES
from runtime.identity.service import Identity


def ident(request: Request) -> Identity:
    i: Identity = request.app.state.identity
    return i


def enforce(request: Request, action: str, target: Mapping[str, Any] | None = None) -> Context:
    """The caller, once policy allows ``action`` on ``target``."""
    ctx = context(request)
    policy.enforce(RULES, action, ctx, target)
    return ctx


async def body(request: Request) -> Any:
    return await json_body(request, ident(request).settings.max_request_body_size)


def url(request: Request, path: str) -> str:
    """An absolute URL under /identity for ``path`` ("/v3/users/ID")."""
    return ident(request).base_url + path


def self_link(request: Request, path: str) -> dict[str, str]:
    return {"self": url(request, path)}


def collection(request: Request, key: str, items: list[dict[str, Any]]) -> Response:
    query = request.url.query
    path = request.url.path
    self_url = ident(request).public_url + path + (f"?{query}" if query else "")
    return json_response({key: items, "links": {"self": self_url, "previous": None,
                                                "next": None}})


def member(key: str, item: dict[str, Any], status: int = 200) -> Response:
    return json_response({key: item}, status=status)
