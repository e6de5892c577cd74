"""The image status machine: the moves Glance allows, and nothing else."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from runtime.common.errors import Conflict
from runtime.image.states import TRANSITIONS, Status, TaskStatus, task_transition, transition


@dataclass
class Thing:
    status: str


@pytest.mark.parametrize("path", [
    ["queued", "saving", "active", "deactivated", "active", "deleted"],
    ["queued", "uploading", "importing", "active"],
    ["queued", "saving", "queued", "saving", "active"],  # a failed upload may be retried
    ["queued", "uploading", "importing", "queued"],  # a failed web-download
])
def test_allowed_paths(path: list[str]) -> None:
    thing = Thing(path[0])
    for status in path[1:]:
        transition(thing, Status(status))
    assert thing.status == path[-1]


@pytest.mark.parametrize("start,target", [
    ("queued", "deactivated"), ("active", "saving"), ("active", "queued"),
    ("deleted", "active"), ("killed", "active"), ("saving", "uploading"),
])
def test_refused_moves_are_409_and_change_nothing(start: str, target: str) -> None:
    thing = Thing(start)
    with pytest.raises(Conflict):
        transition(thing, Status(target))
    assert thing.status == start


def test_every_status_is_declared_and_deleted_is_final() -> None:
    assert set(TRANSITIONS) == set(Status)
    assert TRANSITIONS[Status.DELETED] == frozenset()
    # Nothing but an upload or an import ever makes an image active.
    assert {s for s, targets in TRANSITIONS.items() if Status.ACTIVE in targets} == {
        Status.QUEUED, Status.SAVING, Status.IMPORTING, Status.DEACTIVATED}


def test_tasks_end_in_success_or_failure() -> None:
    task = Thing("pending")
    task_transition(task, TaskStatus.PROCESSING)
    task_transition(task, TaskStatus.SUCCESS)
    with pytest.raises(Conflict):
        task_transition(task, TaskStatus.FAILURE)
