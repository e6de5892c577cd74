"""The compute service as other services call it in-process: plain, read-only data,
never ORM rows. The network service's metadata endpoint reads instances through it."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from runtime.common.db import Database
from runtime.compute import models as m


@dataclass(frozen=True)
class InstanceMetadata:
    """What a guest learns about itself from the metadata service."""

    id: str
    name: str
    hostname: str
    project_id: str
    availability_zone: str
    launch_index: int
    reservation_id: str
    metadata: dict[str, Any] = field(default_factory=dict)
    key_name: str | None = None
    key_data: str | None = None
    user_data: bytes | None = None
    created_at: datetime | None = None


class ComputeClient:
    def __init__(self, db: Database) -> None:
        self.db = db

    def instance_metadata(self, server_id: str) -> InstanceMetadata | None:
        """The instance's metadata, or None when no such server exists."""
        with self.db.reader() as s:
            server = s.get(m.Server, server_id)
            if server is None:
                return None
            return InstanceMetadata(
                id=server.id, name=server.name, hostname=server.hostname,
                project_id=server.project_id,
                availability_zone=server.availability_zone or "",
                launch_index=server.launch_index, reservation_id=server.reservation_id,
                metadata=dict(server.metadata_ or {}), key_name=server.key_name,
                key_data=server.key_data,
                user_data=base64.b64decode(server.user_data) if server.user_data else None,
                created_at=server.created_at)
