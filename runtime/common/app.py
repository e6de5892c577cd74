"""The app factory: one ASGI app serving every enabled service under its prefix."""

from __future__ import annotations

import importlib
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.common.config import Config
from runtime.common.context import Context
from runtime.common.db import Database
from runtime.common.logs import request_id_var
from runtime.common.services import SERVICE_PACKAGES, ServiceInfo
from runtime.common.web import json_response

log = logging.getLogger("haneul.api")


class TokenValidator(Protocol):
    def context_for(self, token: str, request_id: str) -> Context | None:
        """The caller a token stands for, or None if it is not valid now."""


@dataclass
class Runtime:
    """What a running API process holds: config, database, and per-service state."""

    config: Config
    db: Database
    services: dict[str, ServiceInfo] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    validator: TokenValidator | None = None


class RequestMiddleware:
    """Request id, caller context and an access log line for every HTTP request."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope["headers"])
        request_id = "req-" + str(uuid.uuid4())
        request_id_var.set(request_id)
        token = headers.get(b"x-auth-token")
        ctx: Context | None = None
        if token and self.runtime.validator is not None:
            ctx = self.runtime.validator.context_for(token.decode("latin-1"), request_id)
        scope["haneul.context"] = ctx or Context(request_id=request_id)
        status = 500
        rid = request_id.encode()
        ids = [(b"x-openstack-request-id", rid)]
        for info in self.runtime.services.values():
            if info.request_id_header and scope["path"].startswith(info.prefix + "/"):
                ids.append((info.request_id_header.encode(), rid))

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), *ids]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "%s %s %s %.1fms",
                scope["method"],
                scope["path"],
                status,
                (time.perf_counter() - started) * 1000,
            )


def create_app(config: Config, db: Database | None = None) -> Starlette:
    """Build the app for ``config``; tests pass their own database."""
    runtime = Runtime(config=config, db=db or Database(config.database_url))
    mounts: list[Route | Mount] = []
    for name in config.enabled_services:
        package = importlib.import_module(SERVICE_PACKAGES[name])
        info: ServiceInfo = package.SERVICE
        runtime.services[name] = info
        api = importlib.import_module(info.api_module)
        mounts.append(Mount(info.prefix, app=api.build(runtime)))

    async def root(_request: Request) -> Response:
        return json_response(
            {
                "services": [
                    {"type": i.type, "name": i.name, "url": config.public_url + i.prefix}
                    for i in runtime.services.values()
                ]
            }
        )

    app = Starlette(routes=[Route("/", root), *mounts])
    app.state.runtime = runtime
    app.add_middleware(RequestMiddleware, runtime=runtime)
    return app
