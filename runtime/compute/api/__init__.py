"""The Nova v2.1 API at /compute: one module per resource, one router for all.

Every request under /v2.1 is given its microversion first (see
:mod:`runtime.compute.microversions`); responses say which one they used.
"""

from __future__ import annotations

import importlib
from typing import Any

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.common.app import Runtime
from runtime.common.errors import ApiError
from runtime.common.web import ApiRouter, build_service_app, error_response
from runtime.compute import microversions
from runtime.compute.api.common import VERSION_KEY, nova_error_body
from runtime.compute.service.core import Compute, ImageLookup

AREAS = (
    "discovery",
    "flavors",
    "keypairs",
    "servers",
    "server_actions",
    "interfaces",
    "network_proxies",
    "server_lifecycle",
    "admin_actions",
    "server_meta",
    "images",
    "image_meta",
    "instance_actions",
    "hosts",
    "quotas",
    "server_groups",
    "consoles",
    "usage",
    "extensions",
    "os_hosts",
    "aggregates",
    "migrations",
    "external_events",
    "internal",
)


class MicroversionMiddleware:
    """Negotiates the microversion of /v2.1 requests and labels their responses."""

    def __init__(self, app: ASGIApp, maximum: str) -> None:
        self.app = app
        self.maximum = maximum

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        if scope["type"] != "http" or not path.startswith("/v2.1"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope["headers"]}
        try:
            version = microversions.negotiate(headers, self.maximum)
        except ApiError as err:
            await error_response(err, nova_error_body)(scope, receive, send)
            return
        scope[VERSION_KEY] = version
        extra = [(k.lower().encode(), v.encode())
                 for k, v in microversions.response_headers(version).items()]

        async def send_labelled(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_labelled)


def build(runtime: Runtime) -> Any:
    def images() -> ImageLookup | None:
        # The image service may be built after compute; look it up when first needed.
        svc = runtime.state.get("image")
        if svc is None:
            return None
        from runtime.image.client import ImageClient

        return ImageClient(svc)

    def network() -> Any:
        svc = runtime.state.get("network")
        if svc is None:
            return None
        from runtime.network.client import NetworkClient

        return NetworkClient(svc)

    comp = Compute(runtime.db, runtime.config, images, network)
    runtime.state["compute"] = comp
    router = ApiRouter()
    for area in AREAS:
        router.include(importlib.import_module(f"runtime.compute.api.{area}").router)
    app: Starlette = build_service_app(router, nova_error_body)
    from runtime.compute.api.consoles import PATH, serial_proxy

    app.router.routes.append(WebSocketRoute(PATH, serial_proxy))
    # Nova answers a path with a stray trailing slash with 404, never a redirect.
    app.router.redirect_slashes = False
    app.state.compute = comp
    return MicroversionMiddleware(app, runtime.config.compute.max_microversion)


