"""`haneul serve`: run the API app under uvicorn."""

from __future__ import annotations

import logging
import os
from typing import Any

import uvicorn

from runtime.common.app import create_app
from runtime.common.config import Config
from runtime.common.logs import setup_logging
from runtime.common.migrate import upgrade

log = logging.getLogger("haneul.server")


# Worker processes rebuild the app from the config the parent resolved (file + flags).
CONFIG_ENV = "HANEUL_SERVE_CONFIG_JSON"


def app_factory() -> object:
    """Builds the app inside each uvicorn worker process (``workers`` > 1)."""
    config = Config.model_validate_json(os.environ[CONFIG_ENV])
    setup_logging(config.server.log_level, config.server.log_format)
    return create_app(config)


def serve(config: Config, migrate: bool = True) -> int:
    setup_logging(config.server.log_level, config.server.log_format)
    if migrate:
        upgrade(config.database_url)
    log.info("serving %s on %s:%s with %d worker(s)", ", ".join(config.enabled_services),
             config.server.host, config.server.port, config.server.workers)
    options: dict[str, Any] = dict(host=config.server.host, port=config.server.port,
                                   log_config=None, access_log=False, loop="uvloop",
                                   http="httptools")
    if config.server.workers > 1:
        os.environ[CONFIG_ENV] = config.model_dump_json()
        uvicorn.run("runtime.server:app_factory", factory=True, workers=config.server.workers,
                    **options)
    else:
        uvicorn.run(create_app(config), **options)
    return 0
