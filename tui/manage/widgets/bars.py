"""The small bars around the table: where you are, what happened, the `:` line, and the
log of equivalent `openstack` commands."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.suggester import SuggestFromList
from textual.widgets import Input, Log, Static

from tui.manage.logic import EXTRA_COMMANDS, complete
from tui.manage.resources import RESOURCES


class InfoBar(Static):
    """`cloud ▸ project ▸ resource (count) ▸ /filter ▸ READ-ONLY`."""

    def update_info(self, cloud: str, project: str, title: str, shown: int | None,
                    total: int | None, needle: str, readonly: bool) -> None:
        text = Text()
        text.append(" haneul ", style="bold reverse")
        text.append(f" {cloud or '…'}", style="bold")
        if project:
            text.append(f" ▸ {project}")
        text.append(f" ▸ {title}", style="bold cyan")
        if total is not None:
            text.append(f" ({shown}/{total})" if needle else f" ({total})")
        if needle:
            text.append(f"  /{needle}", style="yellow")
        if readonly:
            text.append("  READ-ONLY", style="bold magenta")
        self.update(text)


class MessageLine(Static):
    """One line: the last error from the cloud (red) or what just happened."""

    def show_error(self, text: str) -> None:
        self.set_class(True, "error")
        self.update(Text("✗ " + text))

    def show_info(self, text: str) -> None:
        self.set_class(False, "error")
        self.update(Text(text))


class CommandLine(Input):
    """The `:` line, completing resource names (Tab or → accepts)."""

    BINDINGS = [Binding("tab", "complete", "complete", show=False)]

    def __init__(self, **kwargs: object) -> None:
        words = [*RESOURCES, *EXTRA_COMMANDS]
        super().__init__(placeholder="servers, images, flavors, networks… (Tab completes)",
                         suggester=SuggestFromList(words, case_sensitive=False),
                         **kwargs)  # type: ignore[arg-type]

    def action_complete(self) -> None:
        hits = complete(self.value)
        if not hits:
            return
        prefix = _common_prefix(hits)
        typed = self.value.strip().lstrip(":")
        self.value = hits[0] if len(hits) == 1 or len(prefix) <= len(typed) else prefix
        self.cursor_position = len(self.value)


def _common_prefix(words: list[str]) -> str:
    prefix = words[0]
    for w in words[1:]:
        while not w.startswith(prefix):
            prefix = prefix[:-1]
    return prefix


class CliPane(Log):
    """Every change made, as the `openstack …` command that does the same."""
