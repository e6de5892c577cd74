"""The Neutron v2.0 API at /networking: one module per area, one router for all."""

from __future__ import annotations

import importlib

from starlette.applications import Starlette

from runtime.common.app import Runtime
from runtime.common.web import ApiRouter, build_service_app
from runtime.network.errors import error_body
from runtime.network.service import Network

AREAS = ("discovery", "extensions", "resources", "router_actions", "auto_topology", "tags",
         "quotas", "zones", "service_providers", "internal", "internal_metadata")


def build(runtime: Runtime) -> Starlette:
    svc = Network(runtime.db, runtime.config)
    runtime.state["network"] = svc
    router = ApiRouter()
    for area in AREAS:
        router.include(importlib.import_module(f"runtime.network.api.{area}").router)
    app = build_service_app(router, error_body)
    app.state.network = svc
    return app
