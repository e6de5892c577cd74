"""`haneul serve`: run the API app under uvicorn."""

from __future__ import annotations

import logging

import uvicorn

from runtime.common.app import create_app
from runtime.common.config import Config
from runtime.common.logs import setup_logging
from runtime.common.migrate import upgrade

log = logging.getLogger("haneul.server")


def app_factory() -> object:
    """Used by uvicorn workers (``--workers`` > 1) to build the app in each process."""
    from runtime.common.config import load_config

    config = load_config()
    setup_logging(config.server.log_level, config.server.log_format)
    return create_app(config)


def serve(config: Config, migrate: bool = True) -> int:
    setup_logging(config.server.log_level, config.server.log_format)
    if migrate:
        upgrade(config.database_url)
    app = create_app(config)
    log.info("serving %s on %s:%s", ", ".join(config.enabled_services), config.server.host,
             config.server.port)
    uvicorn.run(app, host=config.server.host, port=config.server.port, log_config=None,
                access_log=False, loop="uvloop", http="httptools")
    return 0
