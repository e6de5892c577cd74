"""Alembic migrations across every service, run from code (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig

from runtime.common.services import SERVICE_PACKAGES

HERE = Path(__file__).parent


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    locations = []
    for module in SERVICE_PACKAGES.values():
        path = Path(__import__(module, fromlist=["_"]).__file__ or "").parent / "migrations"
        if path.is_dir():
            locations.append(str(path))
    cfg.set_main_option("version_locations", " ".join(locations))
    cfg.set_main_option("path_separator", "space")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str) -> None:
    """Bring the database at ``url`` to the newest schema of every service."""
    command.upgrade(alembic_config(url), "heads")
