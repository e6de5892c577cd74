"""Running playbooks. The only module that imports ansible_runner.

Every ansible-runner event becomes a typed event (installer.events) here and goes to a
reporter; nothing else in Haneul sees ansible-runner's dicts or its artifacts layout.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

from installer.events import Event, HostResult, from_runner


class Reporter(Protocol):
    def event(self, event: Event) -> None: ...


@dataclass(frozen=True)
class PlaybookRun:
    playbook: str
    status: str
    rc: int


def _environment(playbook_dir: Path) -> dict[str, str]:
    # ansible-runner starts `ansible-playbook` by name: make it this interpreter's.
    bindir = str(Path(sys.executable).parent)
    return {
        "ANSIBLE_CONFIG": str(playbook_dir / "ansible.cfg"),
        "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
        "ANSIBLE_PIPELINING": "True",
        "ANSIBLE_FORCE_COLOR": "False",
        "ANSIBLE_NOCOLOR": "True",
        "ANSIBLE_PYTHON_INTERPRETER": "auto_silent",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
    }


def run_playbook(playbook_dir: Path, playbook: str, inventory: Path, run_dir: Path,
                 reporter: Reporter, extravars: dict[str, Any] | None = None,
                 limit: str | None = None, check: bool = False,
                 should_cancel: Callable[[], bool] | None = None,
                 output: TextIO | None = None) -> PlaybookRun:
    """Run one playbook to the end, reporting as it goes; the artifacts stay in run_dir.
    Ansible's own display goes to ``output`` as it is produced (the run's full log)."""
    import ansible_runner

    failures = 0

    def on_event(raw: dict[str, Any]) -> bool:
        nonlocal failures
        if output is not None and raw.get("stdout"):
            output.write(str(raw["stdout"]) + "\n")
            output.flush()
        event = from_runner(raw)
        if event is not None:
            if isinstance(event, HostResult) and event.status in ("failed", "unreachable"):
                failures += 1
            reporter.event(event)
        return True  # keep ansible-runner's own artifact record of the event

    cmdline = "--check --diff" if check else None
    result = ansible_runner.run(
        private_data_dir=str(run_dir),
        project_dir=str(playbook_dir),
        playbook=playbook,
        inventory=str(inventory.resolve()),
        extravars=extravars or {},
        limit=limit,
        cmdline=cmdline,
        envvars=_environment(playbook_dir),
        event_handler=on_event,
        cancel_callback=should_cancel or (lambda: False),
        quiet=True,
        # One directory per playbook under the run, so a resumed run keeps the history.
        ident=Path(playbook).stem,
        rotate_artifacts=0,
    )
    rc = int(result.rc if result.rc is not None else 1)
    if rc != 0 and not failures:
        # Ansible stopped before any task failed (a syntax error, a bad variable): what
        # it printed last is the only explanation there is.
        tail = "\n".join(result.stdout.read().strip().splitlines()[-20:])
        reporter.event(HostResult(host="localhost", task=f"run {playbook}", status="failed",
                                  message=tail or f"ansible-playbook exited with {rc}"))
    return PlaybookRun(playbook=playbook, status=str(result.status), rc=rc)
