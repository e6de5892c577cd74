"""Messages workers post to screens (workers never touch widgets)."""

from __future__ import annotations

from typing import Any

from textual.message import Message

from tui.manage.resources.base import Row


class Loaded(Message):
    """Rows of a resource, or why there are none."""

    def __init__(self, token: int, resource: str, rows: list[Row] | None,
                 error: str | None = None, missing: str | None = None) -> None:
        super().__init__()
        self.token = token
        self.resource = resource
        self.rows = rows
        self.error = error
        self.missing = missing


class ActionDone(Message):
    def __init__(self, name: str, cli: str, error: str | None = None,
                 result: Any = None) -> None:
        super().__init__()
        self.name = name
        self.cli = cli
        self.error = error
        self.result = result


class SourceReady(Message):
    def __init__(self, source: Any, error: str | None = None) -> None:
        super().__init__()
        self.source = source
        self.error = error


class ChoicesLoaded(Message):
    def __init__(self, field: str, options: list[tuple[str, str]],
                 note: str | None = None) -> None:
        super().__init__()
        self.field = field
        self.options = options
        self.note = note


class ConsoleText(Message):
    def __init__(self, text: str, error: str | None = None) -> None:
        super().__init__()
        self.text = text
        self.error = error


class TextReady(Message):
    """A rendered block of text (topology) or the error that stopped it."""

    def __init__(self, text: str, error: str | None = None) -> None:
        super().__init__()
        self.text = text
        self.error = error
