"""The server state machine: what users see as status, and which actions are allowed."""

from __future__ import annotations

import pytest

from runtime.common.errors import Conflict
from runtime.compute import states
from runtime.compute.states import PowerState, TaskState, VmState


@pytest.mark.parametrize(("vm", "task", "status"), [
    ("building", "scheduling", "BUILD"),
    ("building", "spawning", "BUILD"),
    ("active", None, "ACTIVE"),
    ("active", "rebooting", "REBOOT"),
    ("active", "rebooting_hard", "HARD_REBOOT"),
    ("active", "powering-off", "ACTIVE"),  # Nova keeps ACTIVE while stopping
    ("active", "deleting", "ACTIVE"),
    ("stopped", None, "SHUTOFF"),
    ("paused", None, "PAUSED"),
    ("suspended", None, "SUSPENDED"),
    ("rescued", None, "RESCUE"),
    ("resized", None, "VERIFY_RESIZE"),
    ("resized", "resize_reverting", "REVERT_RESIZE"),
    ("error", None, "ERROR"),
    ("error", "rebuilding", "REBUILD"),
])
def test_status_is_derived_as_nova_does(vm: str, task: str | None, status: str) -> None:
    assert states.server_status(vm, task) == status


def test_status_filter_finds_every_state_pair_that_shows_it() -> None:
    pairs = states.statuses_for("REBOOT")
    assert (VmState.ACTIVE, TaskState.REBOOTING) in pairs
    assert states.statuses_for("SHUTOFF") == [(VmState.STOPPED, None)]
    assert states.statuses_for("NOPE") == []


def test_stopping_a_stopped_server_is_a_conflict_in_novas_words() -> None:
    with pytest.raises(Conflict) as err:
        states.begin("stop", "abc", "stopped", None)
    assert err.value.message == "Cannot 'stop' instance abc while it is in vm_state stopped"


def test_an_action_waits_for_the_running_task() -> None:
    with pytest.raises(Conflict, match="task_state powering-off"):
        states.begin("pause", "abc", "active", "powering-off")
    # A hard reboot may interrupt a soft one, as in Nova.
    assert states.begin("reboot_hard", "abc", "active", "rebooting").task == "rebooting_hard"


def test_delete_is_allowed_from_any_state_but_deleting() -> None:
    for vm in ("building", "active", "error", "stopped", "paused"):
        assert states.begin("delete", "x", vm, None).task == TaskState.DELETING
    with pytest.raises(Conflict):
        states.begin("delete", "x", "active", "deleting")


@pytest.mark.parametrize(("task", "vm"), [
    ("spawning", VmState.ACTIVE), ("powering-off", VmState.STOPPED),
    ("powering-on", VmState.ACTIVE), ("pausing", VmState.PAUSED),
    ("suspending", VmState.SUSPENDED), ("resuming", VmState.ACTIVE),
])
def test_finishing_a_task_gives_its_vm_state(task: str, vm: VmState) -> None:
    assert states.complete(task) == vm


def test_a_guest_that_powered_off_shows_shutoff_but_not_during_a_task() -> None:
    assert states.synced_vm_state("active", None, PowerState.SHUTDOWN) == VmState.STOPPED
    assert states.synced_vm_state("active", None, PowerState.RUNNING) is None
    assert states.synced_vm_state("active", "rebooting", PowerState.SHUTDOWN) is None


def test_desired_power_follows_the_task_first() -> None:
    assert states.desired_power("active", None) == states.RUNNING
    assert states.desired_power("active", "powering-off") == states.SHUTDOWN
    assert states.desired_power("stopped", "powering-on") == states.RUNNING
    assert states.desired_power("active", "deleting") == states.ABSENT
    assert states.desired_power("error", None) == states.KEEP
