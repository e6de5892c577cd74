"""What `haneul deploy` prints: counts per host from Ansible's recaps, then failures."""

from __future__ import annotations

import io

from installer.events import HostResult, HostStats, PlayStarted, RunFinished, Stats, TaskStarted
from installer.progress import LineReporter, Progress, summary


def test_counts_sum_the_recaps_of_every_playbook_and_failures_are_listed() -> None:
    progress = Progress(expected=4)
    out = io.StringIO()
    reporter = LineReporter(progress, out)
    for event in (PlayStarted("Preflight", "all"), TaskStarted("aio", "check"),
                  HostResult("aio", "check", "ok"),
                  Stats({"aio": HostStats(ok=15)}),
                  PlayStarted("Prepare", "all"),
                  HostResult("aio", "Install", "changed"),
                  HostResult("aio", "Start api", "failed", "address in use"),
                  Stats({"aio": HostStats(ok=20, changed=1, failed=1)})):
        reporter.event(event)
    assert progress.fraction() == 0.75
    assert progress.hosts["aio"].changed == 1 and progress.hosts["aio"].ok == 35
    reporter.event(RunFinished("failed", 2))
    assert progress.fraction() == 1.0
    text = summary(progress)
    assert "aio: ok=35 changed=1 failed=1" in text
    assert "FAILED on aio: Start api\n    address in use" in text
    shown = out.getvalue()
    assert "PLAY Prepare" in shown and "aio: changed — Install" in shown
    assert "aio: ok" not in shown  # unchanged results are not worth a line
