"""The agent's decision for one server, from the desired state and the hypervisor."""

from __future__ import annotations

import base64
from typing import Any

from runtime.compute.agent import converge
from runtime.compute.states import PowerState


def server(task: str | None, serial: int = 1, **kw: Any) -> dict[str, Any]:
    spec = {"id": "s1", "name": "s", "task_state": task, "task_serial": serial,
            "vm_state": "active", "flavor": {"vcpus": 1, "ram": 256, "disk": 1},
            "image": {"id": "img", "disk_format": "qcow2", "properties": {}}}
    spec.update(kw)
    return spec


def test_no_task_only_observes_even_if_the_guest_stopped() -> None:
    # A guest that powered itself off is reported (and shown SHUTOFF), not restarted.
    assert converge.plan(server(None), PowerState.SHUTDOWN, None).kind == converge.OBSERVE


def test_tasks_map_to_steps() -> None:
    assert converge.plan(server("spawning"), None, None).kind == converge.SPAWN
    assert converge.plan(server("powering-off"), PowerState.RUNNING, None).kind == converge.STOP
    assert converge.plan(server("rebooting_hard"), PowerState.RUNNING, None).kind == \
        converge.REBOOT_HARD
    assert converge.plan(server("deleting"), None, None).kind == converge.DESTROY


def test_a_finished_task_is_not_repeated_but_a_new_request_is() -> None:
    done = ("rebooting", 3)
    assert converge.plan(server("rebooting", 3), PowerState.RUNNING, done).kind == \
        converge.OBSERVE
    assert converge.plan(server("rebooting", 4), PowerState.RUNNING, done).kind == \
        converge.REBOOT


def test_starting_a_guest_the_host_lost_rebuilds_it() -> None:
    assert converge.plan(server("powering-on"), None, None).kind == converge.SPAWN


def test_guest_spec_carries_direct_kernel_boot_and_config_drive_data() -> None:
    props = {"kernel_id": "k", "ramdisk_id": "r", "os_command_line": "root=LABEL=x"}
    spec = converge.guest_spec(server(
        "spawning", image={"id": "img", "disk_format": "qcow2", "properties": props},
        user_data=base64.b64encode(b"#!/bin/sh\necho hi\n").decode(), config_drive=True,
        key_name="k1", key_data="ssh-ed25519 AAAA", metadata={"role": "web"}))
    assert (spec.kernel_id, spec.ramdisk_id, spec.cmdline) == ("k", "r", "root=LABEL=x")
    assert spec.user_data == b"#!/bin/sh\necho hi\n"
    assert spec.metadata["uuid"] == "s1"
    assert spec.metadata["public_keys"] == {"k1": "ssh-ed25519 AAAA"}
    assert spec.metadata["meta"] == {"role": "web"}
    assert converge.guest_spec(server("spawning")).cmdline is None
