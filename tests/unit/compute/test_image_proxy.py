"""Nova's image proxy and backups, the pure parts: how Nova's image filters become a
Glance query, the backup task's place in the server state machine, and rotation."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

import pytest

from runtime.common.context import Context
from runtime.common.errors import Conflict, Forbidden
from runtime.compute import states
from runtime.compute.agent import converge
from runtime.compute.api.images import glance_query
from runtime.compute.service import snapshots
from runtime.compute.service.core import ImageLookup
from runtime.compute.states import TaskState, VmState


@pytest.mark.parametrize(("nova", "glance"), [
    ({"name": "web"}, [("name", "web")]),
    ({"status": "ACTIVE"}, [("status", "active")]),
    ({"changes-since": "2026-11-23T15:00:00Z"}, [("updated_at", "gte:2026-11-23T15:00:00Z")]),
    ({"server": "http://x/compute/v2.1/servers/abc"}, [("instance_uuid", "abc")]),
    ({"server": "abc"}, [("instance_uuid", "abc")]),
    ({"type": "backup"}, [("image_type", "backup")]),
    ({"minRam": "512", "minDisk": "1"}, [("min_ram", "512"), ("min_disk", "1")]),
    ({"property-os_distro": "debian"}, [("os_distro", "debian")]),
    # Paging is the client's business, and Nova ignores what it does not know.
    ({"limit": "1", "marker": "m", "sort_key": "name", "bogus": "1"}, []),
])
def test_novas_filters_become_a_glance_query(nova: dict[str, str],
                                             glance: list[tuple[str, str]]) -> None:
    assert glance_query(nova) == glance


def test_backup_is_a_snapshot_task_for_the_agent_and_returns_the_server_as_it_was() -> None:
    spec = states.begin("createBackup", "s1", "stopped", None)
    assert spec.task == TaskState.IMAGE_BACKUP
    assert states.complete("image_backup", "stopped") == VmState.STOPPED
    assert states.desired_power("stopped", "image_backup") == states.KEEP
    step = converge.plan({"task_state": "image_backup", "task_serial": 3}, None, None)
    assert step.kind == converge.SNAPSHOT
    with pytest.raises(Conflict, match="while it is in task_state image_snapshot"):
        states.begin("createBackup", "s1", "active", "image_snapshot")


@dataclass(frozen=True)
class _Image:
    id: str


@dataclass
class _Images:
    """Glance as rotation sees it: the server's backups newest first, some protected."""

    listed: list[str]
    protected: set[str] = field(default_factory=set)
    queries: list[list[tuple[str, str]]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def list(self, ctx: Context, query: Any = (), **_: Any) -> Any:
        self.queries.append(list(query))
        return SimpleNamespace(images=[_Image(i) for i in self.listed], next_marker=None)

    def delete(self, ctx: Context, image_id: str) -> None:
        if image_id in self.protected:
            raise Forbidden(f"Image {image_id} is protected and cannot be deleted.")
        self.deleted.append(image_id)


def test_rotation_deletes_the_oldest_beyond_the_count_and_spares_protected_ones() -> None:
    images = _Images(["new", "mid", "old", "older"], protected={"old"})
    ctx = Context(request_id="req-1", user_id="u", project_id="p")
    deleted = snapshots.rotate(cast(ImageLookup, images), ctx, "srv", "daily", 2)
    assert deleted == images.deleted == ["older"]
    assert images.queries == [[("image_type", "backup"), ("backup_type", "daily"),
                               ("instance_uuid", "srv"), ("sort_key", "created_at"),
                               ("sort_dir", "desc")]]
    assert snapshots.rotate(cast(ImageLookup, _Images(["a"])), ctx, "srv", "daily", 0) == ["a"]
