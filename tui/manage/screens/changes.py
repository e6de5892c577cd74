"""The change flows of manage mode: key → (form) → confirmation showing the `openstack`
command → a worker makes the change → the result inline and in the commands pane."""

from __future__ import annotations

from textual import work
from textual.screen import Screen

from tui.manage.logic import error_text
from tui.manage.messages import ActionDone
from tui.manage.resources.base import Action, Resource, Row, Values
from tui.manage.source import Source
from tui.manage.widgets.bars import CliPane, MessageLine


class ChangeFlows(Screen[None]):
    """Mixed into ManageScreen, which provides the table, the source and `reload`."""

    source: Source | None
    resource: Resource
    readonly: bool

    def selected_row(self) -> Row | None:
        raise NotImplementedError

    def say(self, text: str) -> None:
        raise NotImplementedError

    def reload(self, quiet: bool = False) -> None:
        raise NotImplementedError

    def action_act(self, key: str) -> None:
        row = self.selected_row()
        candidates = [a for a in self.resource.actions if a.key == key]
        if not candidates:
            self.say(f"{key}: nothing to do on {self.resource.name}")
            return
        if self.readonly and any(a.changes for a in candidates):
            self.query_one(MessageLine).show_error(
                "read-only mode: changes are disabled (started with --readonly)")
            return
        actions = self.resource.actions_for(key, row)
        if not actions:
            if row is None:
                self.say(f"select a row to {candidates[0].name}")
            else:
                names = " / ".join(a.name for a in candidates)
                self.say(f"cannot {names} while {row.get('status', '')}")
            return
        self.start_action(actions[0], row)

    def start_action(self, action: Action, row: Row | None) -> None:
        from tui.manage.screens.dialogs import ConfirmScreen, FormScreen

        if self.source is None:
            return
        source = self.source

        def confirmed(values: Values, ok: bool | None) -> None:
            if ok:
                self.say(f"{action.name}…")
                self._run(source, action, row, values)

        def submitted(values: Values | None) -> None:
            if values is None:
                return
            if action.confirm:
                self.app.push_screen(ConfirmScreen(self._question(action, row),
                                                   action.cli(row, values)),
                                     lambda ok: confirmed(values, ok))
            else:
                confirmed(values, True)

        if action.form is not None:
            self.app.push_screen(FormScreen(action.form, source, action.cli), submitted)
        else:
            submitted(Values())

    def _question(self, action: Action, row: Row | None) -> str:
        what = self.resource.title.lower().rstrip("s")
        name = (row or {}).get(self.resource.name_key) or (row or {}).get("id") or ""
        return f"{action.name.capitalize()} {what} {name}?"

    @work(thread=True, group="actions")
    def _run(self, source: Source, action: Action, row: Row | None, values: Values) -> None:
        cli = action.cli(row, values)
        try:
            result = source.run(action, row, values)
        except Exception as exc:
            self.post_message(ActionDone(action.name, cli, error=error_text(exc)))
        else:
            self.post_message(ActionDone(action.name, cli, result=result))

    def on_action_done(self, message: ActionDone) -> None:
        pane = self.query_one(CliPane)
        if message.error:
            self.query_one(MessageLine).show_error(f"{message.name} failed: {message.error}")
            pane.write_lines([f"# failed: {line}" for line in message.cli.splitlines()])
        else:
            self.say(f"{message.name}: done — {message.cli.splitlines()[0]}")
            pane.write_lines(message.cli.splitlines())
        self.reload()
