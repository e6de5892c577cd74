"""What `haneul bootstrap` sets up for compute: the default flavors and the agents'
shared secret. Idempotent, like the rest of bootstrap."""

from __future__ import annotations

from pathlib import Path

from runtime.common.config import Config
from runtime.common.db import Database
from runtime.compute.service import flavors
from runtime.compute.service.core import load_or_create_secret


def bootstrap_compute(db: Database, config: Config) -> list[str]:
    """Create missing default flavors (their names are returned) and the agent secret."""
    if not config.compute.agent_secret:
        load_or_create_secret(Path(config.state_dir))
    with db.session() as s:
        return flavors.ensure_default_flavors(s)
