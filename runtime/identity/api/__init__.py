"""The Keystone v3 API at /identity: one module per area, one router for all."""

from __future__ import annotations

import importlib

from starlette.applications import Starlette

from runtime.common.app import Runtime
from runtime.common.errors import keystone_error_body
from runtime.common.web import ApiRouter, build_service_app
from runtime.identity.service import Identity
from runtime.identity.service.validation import IdentityValidator

# Each module defines ``router``; the order only matters for identical paths.
AREAS = (
    "discovery",
    "auth",
    "projects",
    "users",
    "roles",
    "grants",
    "role_assignments",
    "catalog",
    "endpoint_groups",
    "domain_config",
    "credentials",
    "application_credentials",
    "trusts",
    "extensions",
)


def build(runtime: Runtime) -> Starlette:
    ident = Identity(runtime.db, runtime.config)
    ident.ensure_generation_row()
    runtime.state["identity"] = ident
    runtime.validator = IdentityValidator(ident)
    router = ApiRouter()
    for area in AREAS:
        module = importlib.import_module(f"runtime.identity.api.{area}")
        router.include(module.router)
    app = build_service_app(router, keystone_error_body)
    app.state.identity = ident
    return app
