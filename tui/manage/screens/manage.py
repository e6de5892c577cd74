"""The main flow of manage mode: one table of one resource, k9s-style keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Input, Static

from tui.manage.logic import complete, error_text, filter_rows, resolve
from tui.manage.messages import Loaded
from tui.manage.resources import RESOURCES
from tui.manage.resources.base import Resource, Row
from tui.manage.screens.changes import ChangeFlows
from tui.manage.source import ServiceMissing, Source
from tui.manage.widgets.bars import CliPane, CommandLine, InfoBar, MessageLine
from tui.manage.widgets.table import ResourceTable

ACTION_KEYS = ("c", "ctrl+d", "r", "x", "p", "i", "a")


class ManageScreen(ChangeFlows):
    """A table of the current resource; `:` switches resource, `/` filters, `d` describes."""

    AUTO_FOCUS = "ResourceTable"

    BINDINGS = [
        Binding("colon", "command", "command", key_display=":"),
        Binding("slash", "filter", "filter", key_display="/"),
        Binding("d", "describe", "describe"),
        Binding("question_mark", "help", "help", key_display="?"),
        Binding("c", "act('c')", "create"),
        Binding("ctrl+d", "act('ctrl+d')", "delete"),
        Binding("l", "logs", "console", show=False),
        Binding("r", "act('r')", "reboot", show=False),
        Binding("x", "act('x')", "stop/start", show=False),
        Binding("p", "act('p')", "pause", show=False),
        Binding("i", "act('i')", "snapshot", show=False),
        Binding("a", "act('a')", "add rule", show=False),
        Binding("t", "topology", "topology", show=False),
        Binding("o", "toggle_cli", "openstack cmds", key_display="o"),
        Binding("ctrl+p", "switch", "project/cloud", key_display="^p"),
        Binding("ctrl+r", "reload", "refresh", show=False),
        Binding("escape", "escape", "back", show=False),
        Binding("q", "app.quit", "quit", show=False),
    ]

    def __init__(self, source: Source | None, readonly: bool = False,
                 resource: str = "servers", refresh_seconds: float = 5.0,
                 connect: Callable[[], Source] | None = None, cloud: str = "") -> None:
        super().__init__()
        self.source = source
        self.connect = connect
        self.cloud = cloud
        self.readonly = readonly
        self.resource: Resource = RESOURCES[resource]
        self.refresh_seconds = refresh_seconds
        self.rows: list[Row] = []
        self.loaded = False
        self.needle = ""
        self._token = 0
        self._inflight = 0

    def compose(self) -> ComposeResult:
        yield InfoBar(id="info")
        with Vertical(id="prompt"):
            yield CommandLine(id="command")
            yield Static(id="hints")
        yield Input(placeholder="filter (Enter keeps it, Esc clears)", id="filter")
        yield ResourceTable(id="table")
        yield MessageLine(id="message")
        yield CliPane(id="cli", highlight=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#cli", CliPane).write_line("# the openstack commands of your changes")
        if self.readonly:
            self.say("read-only mode: nothing can be changed")
        self._update_info()
        if self.source is not None:
            self.reload()
        elif self.connect is not None:
            self.say(f"connecting to {self.cloud}…")
            self._connect(self.connect)
        self.set_interval(self.refresh_seconds, self._tick)

    # ---- data ---------------------------------------------------------------------------

    def set_source(self, source: Source) -> None:
        self.source = source
        self.reload()

    @work(thread=True, group="connect")
    def _connect(self, connect: Callable[[], Source]) -> None:
        from tui.manage.messages import SourceReady

        try:
            source = connect()
        except Exception as exc:
            self.post_message(SourceReady(None, error=f"cloud {self.cloud}: {error_text(exc)}"))
        else:
            self.post_message(SourceReady(source))

    def _tick(self) -> None:
        # Not while another load is still out (a slow cloud must not pile up threads).
        if self.source is not None and self.app.screen is self and not self._inflight:
            self.reload(quiet=True)

    def reload(self, quiet: bool = False) -> None:
        if self.source is None:
            return
        self._token += 1 if not quiet else 0
        self._inflight += 1
        self._load(self.source, self.resource, self._token)

    @work(thread=True, exclusive=True, group="load")
    def _load(self, source: Source, resource: Resource, token: int) -> None:
        try:
            rows = source.fetch(resource)
        except ServiceMissing as exc:
            self.post_message(Loaded(token, resource.name, None, missing=str(exc)))
        except Exception as exc:  # the cloud's error, shown inline
            self.post_message(Loaded(token, resource.name, None, error=error_text(exc)))
        else:
            self.post_message(Loaded(token, resource.name, rows))

    def on_loaded(self, message: Loaded) -> None:
        self._inflight = max(0, self._inflight - 1)
        if message.token != self._token or message.resource != self.resource.name:
            return
        table = self.query_one(ResourceTable)
        self.query_one(MessageLine).remove_class("loading")
        if message.missing:
            self.rows, self.loaded = [], True
            table.show(self.resource, [])
            self.say(f"{message.missing}: :{self.resource.name} is not available here")
        elif message.error:
            self.query_one(MessageLine).show_error(message.error)
        else:
            self.rows, self.loaded = message.rows or [], True
            self._show_rows()
            line = self.query_one(MessageLine)
            if line.has_class("loading"):
                line.remove_class("loading")
                self.say("")
        self._update_info()

    def _show_rows(self) -> None:
        shown = filter_rows(self.resource, self.rows, self.needle)
        self.query_one(ResourceTable).show(self.resource, shown)
        self._update_info()

    def _update_info(self) -> None:
        shown = len(filter_rows(self.resource, self.rows, self.needle)) if self.loaded else None
        src = self.source
        self.query_one(InfoBar).update_info(
            src.cloud if src else self.cloud, src.project if src else "", self.resource.title,
            shown, len(self.rows) if self.loaded else None, self.needle, self.readonly)

    def say(self, text: str) -> None:
        self.query_one(MessageLine).show_info(text)

    def selected_row(self) -> Row | None:
        key = self.query_one(ResourceTable).selected_key
        if key is None:
            return None
        return next((r for r in self.rows if str(r.get(self.resource.id_key)) == key), None)

    # ---- `:` and `/` ------------------------------------------------------------------

    def action_command(self) -> None:
        line = self.query_one(CommandLine)
        line.value = ""
        self.query_one("#prompt").display = True
        self._hint("")
        line.focus()

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.value = self.needle
        box.focus()

    @on(Input.Changed, "#command")
    def _command_changed(self, event: Input.Changed) -> None:
        self._hint(event.value)

    def _hint(self, text: str) -> None:
        hits = complete(text)
        self.query_one("#hints", Static).update("  ".join(hits) if hits else "no such command")

    @on(Input.Submitted, "#command")
    def _command_submitted(self, event: Input.Submitted) -> None:
        self._close_prompt()
        self.run_command(event.value)

    def run_command(self, text: str) -> None:
        word, resource = resolve(text)
        if resource is not None:
            self.open_resource(resource)
        elif word == "topology":
            self.action_topology()
        elif word == "help":
            self.action_help()
        elif word == "quit":
            self.app.exit()
        elif word in ("project", "cloud"):
            self.action_switch()
        elif word:
            self.query_one(MessageLine).show_error(f"no such command: :{word}")

    def open_resource(self, resource: Resource) -> None:
        self.resource = resource
        self.rows, self.loaded, self.needle = [], False, ""
        self.query_one(ResourceTable).show(resource, [])
        self.say(f"loading {resource.name}…")
        self.query_one(MessageLine).add_class("loading")
        self._update_info()
        self.reload()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.needle = event.value
        self._show_rows()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, _event: Input.Submitted) -> None:
        self.query_one("#filter").display = bool(self.needle)
        self.query_one(ResourceTable).focus()

    def _close_prompt(self) -> None:
        self.query_one("#prompt").display = False
        self.query_one(ResourceTable).focus()

    def action_escape(self) -> None:
        if self.query_one("#prompt").display:
            self._close_prompt()
            return
        box = self.query_one("#filter", Input)
        if box.display or self.needle:
            box.value = ""
            box.display = False
            self.needle = ""
            self._show_rows()
            self.query_one(ResourceTable).focus()

    def on_key(self, event: Any) -> None:
        # Esc inside the `:` line or the filter box closes it (the Input keeps the key).
        if event.key == "escape" and isinstance(self.focused, Input):
            event.stop()
            self.action_escape()

    # ---- describe, help, logs, topology, switch -------------------------------------------

    def action_describe(self) -> None:
        from tui.manage.screens.describe import DescribeScreen

        row = self.selected_row()
        if row is None:
            self.say("nothing selected")
            return
        self.app.push_screen(DescribeScreen(self.resource, row))

    def action_help(self) -> None:
        from tui.manage.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self.resource, self.readonly))

    def action_logs(self) -> None:
        from tui.manage.screens.console import ConsoleScreen

        row = self.selected_row()
        if not self.resource.extra.get("console") or row is None or self.source is None:
            self.say("l follows the console of a server: open :servers and select one")
            return
        self.app.push_screen(ConsoleScreen(self.source, row))

    def action_topology(self) -> None:
        from tui.manage.screens.topology import TopologyScreen

        if self.source is not None:
            self.app.push_screen(TopologyScreen(self.source))

    def action_toggle_cli(self) -> None:
        pane = self.query_one(CliPane)
        pane.display = not pane.display

    def action_reload(self) -> None:
        self.reload()

    def action_switch(self) -> None:
        from tui.manage.screens.switch import SwitchScreen

        if self.source is None:
            return
        self.app.push_screen(SwitchScreen(self.source), self._switched)

    def _switched(self, choice: tuple[str, str, str] | None) -> None:
        if choice is None or self.source is None:
            return
        kind, value, label = choice
        self.say(f"switching to {kind} {label}…")
        self._switch(self.source, kind, value, label)

    @work(thread=True, exclusive=True, group="switch")
    def _switch(self, source: Source, kind: str, value: str, label: str) -> None:
        from tui.manage.messages import SourceReady

        try:
            new = (source.for_cloud(value) if kind == "cloud"
                   else source.for_project(value, label))
        except Exception as exc:
            self.post_message(SourceReady(None, error_text(exc)))
        else:
            self.post_message(SourceReady(new))

    def on_source_ready(self, message: Any) -> None:
        if message.error:
            self.query_one(MessageLine).show_error(message.error)
            return
        self.source = message.source
        self.say(f"now on {self.source.cloud} ▸ {self.source.project}"
                 if self.source else "")
        self.open_resource(self.resource)
