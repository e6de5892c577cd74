"""Smoke test: `haneul manage` in a real terminal (tmux), driven by keys against a real
`haneul serve`, its screen read back as text, the way an operator would see it."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator

import pytest

from tests.support import BIN, Cloud, wait_for

pytestmark = pytest.mark.slow


class Tmux:
    """A tmux server of the test's own (its own socket), stopped through that socket."""

    def __init__(self) -> None:
        self.socket = f"haneul-smoke-{uuid.uuid4().hex[:8]}"

    def __call__(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                              text=True, timeout=30)
        return done.stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "smoke")

    def keys(self, *keys: str) -> None:
        self("send-keys", "-t", "smoke", *keys)

    def shows(self, text: str, what: str, timeout: float = 60) -> None:
        try:
            wait_for(lambda: text in self.screen(), timeout, what)
        except TimeoutError:
            raise AssertionError(f"{what}: {text!r} not on the screen:\n{self.screen()}") \
                from None


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (scripts/install installs it)")
    t = Tmux()
    try:
        yield t
    finally:
        t("kill-server")


def test_manage_mode_in_a_terminal(cloud: Cloud, tmux: Tmux) -> None:
    command = (f"OS_CLIENT_CONFIG_FILE={cloud.clouds_yaml} {BIN / 'haneul'} manage "
               f"--cloud haneul --clouds-yaml {cloud.clouds_yaml} --resource flavors")
    tmux("new-session", "-d", "-s", "smoke", "-x", "120", "-y", "40", command)
    tmux.shows("m1.tiny", "the flavors table")
    assert "m1.small" in tmux.screen()

    tmux.keys("/")
    tmux.shows("Esc clears", "the filter box to open")
    tmux.keys("small", "Enter")
    wait_for(lambda: "m1.tiny" not in tmux.screen(), 30, "the filter to hide m1.tiny")
    assert "m1.small" in tmux.screen()

    tmux.keys("?")
    tmux.shows("describe the selected row", "the help screen")
    # A lone ESC is only a key once the terminal has seen nothing follow it: wait for
    # the help to close before the next key, or the two read as one (alt+key).
    tmux.keys("Escape")
    wait_for(lambda: "describe the selected row" not in tmux.screen(), 30,
             "the help screen to close")

    # As an operator does: type the command once the command line is open.
    tmux.keys(":")
    tmux.shows("(Tab completes)", "the command line to open")
    tmux.keys("projects", "Enter")
    tmux.shows("Bootstrap project", "the projects table")

    tmux.keys("q")
    wait_for(lambda: "smoke" not in tmux("list-sessions"), 30, "the TUI to quit")
