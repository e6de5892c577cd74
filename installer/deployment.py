"""Preparing and executing an action: the body of a deployment run's worker.

Everything here happens on the deployment host, before and around the playbooks:
the inventory is checked, secrets exist, the wheel is built; then the action's
playbooks run one after the other, each event appended to the run, and the outcome
recorded. A failed playbook stops the run; re-running the action resumes it, because
every task is idempotent.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from installer.actions import PLAYBOOKS, get_action, plan
from installer.events import HostResult, RunFinished
from installer.inventory import parse
from installer.runner import run_playbook
from installer.runs import RUNNING, Run
from installer.secrets import ensure_secrets, secrets_path
from installer.wheel import ROOT, build_wheel


def wheel_cache() -> Path:
    return Path.home() / ".cache" / "haneul" / "wheels"


def extravars_for(inventory_path: Path, needs_wheel: bool) -> dict[str, Any]:
    """What every playbook is given beyond the inventory: where the secrets and the
    wheel are on this host (never the secrets themselves)."""
    inventory = parse(inventory_path)
    variables: dict[str, Any] = {
        "haneul_secrets_file": str(ensure_secrets(secrets_path(inventory))),
        "haneul_source_dir": str(ROOT),
        "haneul_constraints_file": str(ROOT / "constraints.txt"),
    }
    if needs_wheel:
        wheel = build_wheel(wheel_cache())
        variables |= {"haneul_wheel_file": str(wheel.path),
                      "haneul_wheel_digest": wheel.digest}
    return variables


def execute(run: Run) -> int:
    """Run the action recorded in ``run``; returns the exit status for the worker."""
    info = run.info()
    info.pid, info.status = os.getpid(), RUNNING
    run.save(info)
    cancelled = False

    def on_term(_signum: int, _frame: object) -> None:
        nonlocal cancelled
        cancelled = True

    signal.signal(signal.SIGTERM, on_term)
    action = get_action(info.action)
    status, rc = "successful", 0
    try:
        variables = extravars_for(Path(info.inventory), needs_wheel=action.installs_code)
    except Exception as err:  # recorded as the run's failure, never lost
        run.append(HostResult(host="localhost", task="prepare the deployment",
                              status="failed", message=str(err)))
        status, rc = "failed", 2
    else:
        for playbook, extra in plan(action):
            result = run_playbook(PLAYBOOKS, playbook, Path(info.inventory), run.path,
                                  reporter=run, extravars={**variables, **extra,
                                                           **info.extravars},
                                  limit=info.limit, check=info.check,
                                  should_cancel=lambda: cancelled,
                                  # The worker's stdout is the run's ansible.log.
                                  output=sys.stdout)
            if result.rc != 0 or result.status != "successful":
                status, rc = ("canceled" if cancelled else "failed"), result.rc or 1
                break
    run.append(RunFinished(status=status, rc=rc))
    info = run.info()
    info.status, info.rc = status, rc
    info.finished = datetime.now(UTC).isoformat(timespec="seconds")
    run.save(info)
    return rc
