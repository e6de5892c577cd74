"""The Glance v2 API at /image: one module per resource, one router for all."""

from __future__ import annotations

import importlib
from http import HTTPStatus
from typing import Any

from starlette.applications import Starlette

from runtime.common.app import Runtime
from runtime.common.errors import ApiError
from runtime.common.web import ApiRouter, build_service_app
from runtime.image.service import Images
from runtime.image.service.recovery import recover

AREAS = ("discovery", "images", "data", "imports", "members", "tags", "schemas", "metadefs")


def glance_error_body(err: ApiError) -> dict[str, Any]:
    """Glance's errors are webob's JSON pages: a message, a status line and a title."""
    phrase = HTTPStatus(err.status).phrase
    return {"message": err.message, "code": f"{err.status} {phrase}", "title": phrase}


def build(runtime: Runtime) -> Starlette:
    images = Images(runtime.db, runtime.config)
    # Before serving: uploads and imports a killed process left half done are settled.
    recover(images)
    runtime.state["image"] = images
    router = ApiRouter()
    for area in AREAS:
        router.include(importlib.import_module(f"runtime.image.api.{area}").router)
    app = build_service_app(router, glance_error_body)
    app.state.images = images
    return app
