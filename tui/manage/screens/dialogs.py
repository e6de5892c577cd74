"""Modal flows of a change: a form to fill, then a confirmation showing the command."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, SelectionList, Static

from tui.manage.logic import error_text
from tui.manage.messages import ChoicesLoaded
from tui.manage.resources import RESOURCES
from tui.manage.resources.base import CliFn, Field, Form, Values
from tui.manage.source import ServiceMissing, Source


class ConfirmScreen(ModalScreen[bool]):
    """`y` or Enter does it, `n` or Esc does not."""

    BINDINGS = [
        Binding("y", "answer(True)", "yes"),
        Binding("n", "answer(False)", "no"),
        Binding("escape", "answer(False)", "no", show=False),
    ]

    def __init__(self, question: str, cli: str) -> None:
        super().__init__()
        self.question = question
        self.cli = cli

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="confirm"):
            yield Label(self.question, id="question")
            yield Static(self.cli, id="cli-preview", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Yes (y)", id="yes", variant="error")
                yield Button("No (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, ok: bool) -> None:
        self.dismiss(ok)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class FormScreen(ModalScreen[Values | None]):
    """Fields from a `Form`; choices come from the cloud (loaded by a worker)."""

    BINDINGS = [
        Binding("escape", "cancel", "cancel"),
        Binding("ctrl+s", "submit", "submit"),
    ]

    def __init__(self, form: Form, source: Source, cli: CliFn | None = None) -> None:
        super().__init__()
        self.form = form
        self.source = source
        self.cli = cli
        self.labels: dict[str, dict[str, str]] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="form"):
            yield Label(self.form.title, id="form-title")
            with VerticalScroll(id="fields"):
                for field in self.form.fields:
                    mark = " *" if field.required else ""
                    yield Label(field.label + mark, classes="field-label")
                    yield self._widget(field)
                    note = Static("", id=f"note-{field.name}", classes="note")
                    note.display = False
                    yield note
            yield Static("", id="form-cli", markup=False)
            yield Static("", id="form-error")
            with Horizontal(classes="buttons"):
                yield Button("Create (ctrl+s)", id="submit", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def _widget(self, field: Field) -> Any:
        wid = f"field-{field.name}"
        if field.kind in ("text", "password"):
            return Input(value=field.default, placeholder=field.placeholder,
                         password=field.kind == "password", id=wid, compact=True)
        if field.kind == "select":
            sel: Select[str] = Select(list(field.choices), id=wid, prompt="(none)",
                                      allow_blank=True, compact=True)
            if field.default:
                sel.value = field.default
            self.labels[field.name] = {v: label for label, v in field.choices}
            return sel
        return SelectionList[str](*[(label, v) for label, v in field.choices], id=wid,
                                  compact=True)

    def on_mount(self) -> None:
        first = self.query_one(f"#field-{self.form.fields[0].name}")
        first.focus()
        for field in self.form.fields:
            if field.source:
                self._choices(field)
        self._preview()

    @work(thread=True)
    def _choices(self, field: Field) -> None:
        resource = RESOURCES[field.source or ""]
        try:
            rows = self.source.fetch(resource)
        except ServiceMissing as exc:
            self.post_message(ChoicesLoaded(field.name, [], note=str(exc)))
            return
        except Exception as exc:
            self.post_message(ChoicesLoaded(field.name, [], note=error_text(exc)))
            return
        if field.keep is not None:
            rows = [r for r in rows if field.keep(r)]
        options = [(str(r.get(resource.name_key) or r.get("id")), str(r.get("id")))
                   for r in rows]
        self.post_message(ChoicesLoaded(field.name, options))

    def on_choices_loaded(self, message: ChoicesLoaded) -> None:
        self.labels[message.field] = {v: label for label, v in message.options}
        widget = self.query_one(f"#field-{message.field}")
        if isinstance(widget, Select):
            widget.set_options(message.options)
        elif isinstance(widget, SelectionList):
            widget.clear_options()
            widget.add_options(message.options)
        note = message.note or ("" if message.options else "(none available)")
        box = self.query_one(f"#note-{message.field}", Static)
        box.update(note)
        box.display = bool(note)

    def values(self) -> Values:
        data: dict[str, Any] = {}
        labels: dict[str, Any] = {}
        for field in self.form.fields:
            widget = self.query_one(f"#field-{field.name}")
            names = self.labels.get(field.name, {})
            if isinstance(widget, Input):
                data[field.name] = widget.value.strip()
            elif isinstance(widget, Select):
                value = widget.value
                data[field.name] = "" if value is Select.NULL else str(value)
                labels[field.name] = names.get(data[field.name], data[field.name])
            elif isinstance(widget, SelectionList):
                chosen = [str(v) for v in widget.selected]
                data[field.name] = chosen
                labels[field.name] = [names.get(v, v) for v in chosen]
        return Values(data, labels)

    def _preview(self) -> None:
        if self.cli is None:
            return
        try:
            text = self.cli(None, self.values())
        except Exception:
            text = ""
        self.query_one("#form-cli", Static).update(text)

    @on(Input.Changed)
    @on(Select.Changed)
    @on(SelectionList.SelectedChanged)
    def _changed(self) -> None:
        self._preview()

    @on(Input.Submitted)
    def _enter(self) -> None:
        self.action_submit()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "submit":
            self.action_submit()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_submit(self) -> None:
        values = self.values()
        missing = [f.label for f in self.form.fields if f.required and not values.get(f.name)]
        if missing:
            self.query_one("#form-error", Static).update(
                "required: " + ", ".join(missing))
            return
        self.dismiss(values)
