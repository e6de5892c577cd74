"""The image status machine, declared once: every status change goes through
:func:`transition`, so no code sets ``image.status`` to a string of its own.

    queued ──upload──► saving ──data stored──► active ◄──reactivate── deactivated
      │  ▲               │                       │  └──deactivate──────►┘
      │  └──upload failed┘ (or killed)           │
      ├──stage──► uploading ──import──► importing ──► active
      │              ▲                     │
      └──────────────┴──import failed──────┘ (back to queued, data discarded)
    any ──delete──► deleted (or pending_delete with delayed delete)
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from runtime.common.errors import Conflict


class Status(StrEnum):
    QUEUED = "queued"
    SAVING = "saving"
    UPLOADING = "uploading"
    IMPORTING = "importing"
    ACTIVE = "active"
    KILLED = "killed"
    DEACTIVATED = "deactivated"
    PENDING_DELETE = "pending_delete"
    DELETED = "deleted"


S = Status


class HasStatus(Protocol):
    status: str

TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.QUEUED: frozenset({S.SAVING, S.UPLOADING, S.IMPORTING, S.ACTIVE, S.DELETED,
                         S.PENDING_DELETE}),
    # A failed upload goes back to queued so that the user may try again; killed is
    # for data that can never be had again.
    S.SAVING: frozenset({S.ACTIVE, S.QUEUED, S.KILLED, S.DELETED, S.PENDING_DELETE}),
    S.UPLOADING: frozenset({S.IMPORTING, S.QUEUED, S.DELETED, S.PENDING_DELETE}),
    S.IMPORTING: frozenset({S.ACTIVE, S.QUEUED, S.UPLOADING, S.KILLED, S.DELETED,
                            S.PENDING_DELETE}),
    S.ACTIVE: frozenset({S.DEACTIVATED, S.DELETED, S.PENDING_DELETE}),
    S.DEACTIVATED: frozenset({S.ACTIVE, S.DELETED, S.PENDING_DELETE}),
    S.KILLED: frozenset({S.DELETED, S.PENDING_DELETE}),
    S.PENDING_DELETE: frozenset({S.DELETED}),
    S.DELETED: frozenset(),
}

# Statuses whose image data may be read (admins may read deactivated images).
READABLE = frozenset({S.ACTIVE, S.DEACTIVATED})


def can(current: str, target: Status) -> bool:
    return target in TRANSITIONS[Status(current)]


def transition(image: HasStatus, target: Status) -> None:
    """Move ``image`` to ``target`` or raise 409."""
    current = image.status
    if current == target:
        return
    if not can(current, target):
        raise Conflict(f"Image status transition from {current} to {target} is not allowed")
    image.status = str(target)


class TaskStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    SUCCESS = "success"
    FAILURE = "failure"


TASK_TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.PENDING: frozenset({TaskStatus.PROCESSING, TaskStatus.FAILURE}),
    TaskStatus.PROCESSING: frozenset({TaskStatus.SUCCESS, TaskStatus.FAILURE}),
    TaskStatus.SUCCESS: frozenset(),
    TaskStatus.FAILURE: frozenset(),
}


def task_transition(task: HasStatus, target: TaskStatus) -> None:
    current = task.status
    if current != target and target not in TASK_TRANSITIONS[TaskStatus(current)]:
        raise Conflict(f"Task status transition from {current} to {target} is not allowed")
    task.status = str(target)
