"""What a resource is to the TUI: data, not screens.

A `Resource` names its service (the catalog type), its columns, how to list it through an
openstacksdk `Connection`, and its actions (each with the `openstack …` command that does
the same thing). Screens read these tables; nothing here imports Textual.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Row = dict[str, Any]
Conn = Any  # openstack.connection.Connection (kept Any: openstacksdk is loosely typed)


class Values(dict[str, Any]):
    """A submitted form: field name → value (ids for choices), with the labels the user saw."""

    def __init__(self, data: Mapping[str, Any] | None = None,
                 labels: Mapping[str, Any] | None = None) -> None:
        super().__init__(data or {})
        self.labels: dict[str, Any] = dict(labels or {})

    def label(self, name: str) -> Any:
        """What the user picked, as they saw it (a name rather than an id)."""
        return self.labels.get(name, self.get(name))


@dataclass(frozen=True)
class Column:
    title: str
    key: str | Callable[[Row], Any]
    width: int | None = None

    def value(self, row: Row) -> Any:
        if callable(self.key):
            return self.key(row)
        return row.get(self.key)


FieldKind = Literal["text", "password", "select", "multi"]


@dataclass(frozen=True)
class Field:
    """One input of a form. `source` names a resource whose rows are the choices."""

    name: str
    label: str
    kind: FieldKind = "text"
    required: bool = False
    source: str | None = None
    choices: tuple[tuple[str, str], ...] = ()  # (label, value)
    keep: Callable[[Row], bool] | None = None  # which source rows are choices
    default: str = ""
    placeholder: str = ""


@dataclass(frozen=True)
class Form:
    title: str
    fields: tuple[Field, ...]


RunFn = Callable[[Conn, Row | None, Values], Any]
CliFn = Callable[[Row | None, Values], str]


@dataclass(frozen=True)
class Action:
    key: str
    name: str
    description: str
    run: RunFn
    cli: CliFn
    form: Form | None = None
    needs_row: bool = True
    confirm: bool = True
    changes: bool = True
    when: Callable[[Row], bool] | None = None

    def applies(self, row: Row | None) -> bool:
        if self.needs_row and row is None:
            return False
        return self.when is None or row is None or self.when(row)


@dataclass(frozen=True)
class Resource:
    name: str  # the `:` command
    title: str
    service: str  # catalog service type
    columns: tuple[Column, ...]
    fetch: Callable[[Conn], Iterable[Any]]
    actions: tuple[Action, ...] = ()
    aliases: tuple[str, ...] = ()
    id_key: str = "id"
    name_key: str = "name"
    status_key: str | None = "status"
    extra: dict[str, Any] = field(default_factory=dict)

    def actions_for(self, key: str, row: Row | None) -> list[Action]:
        return [a for a in self.actions if a.key == key and a.applies(row)]


def cmd(*words: Any) -> str:
    """An `openstack …` command line, each argument quoted as a shell needs it."""
    out = ["openstack"]
    for w in words:
        if w is None or w == "":
            continue
        out.append(shlex.quote(str(w)))
    return " ".join(out)


def opt(flag: str, value: Any) -> list[Any]:
    """`--flag value`, or nothing when there is no value."""
    if value is None or value == "" or value == []:
        return []
    return [flag, value]


def opts(flag: str, values: Sequence[Any] | None) -> list[Any]:
    out: list[Any] = []
    for v in values or ():
        out += [flag, v]
    return out


def row_label(row: Row | None, key: str = "name") -> str:
    if row is None:
        return ""
    return str(row.get(key) or row.get("id") or "")


def delete_action(noun: str, delete: Callable[[Conn, str], Any],
                  name_key: str = "name") -> Action:
    """Delete the selected row: `openstack <noun> delete <name>`."""
    words = noun.split()
    return Action(
        key="ctrl+d", name="delete", description=f"delete the {words[-1]}",
        run=lambda conn, row, _v: delete(conn, str((row or {})["id"])),
        cli=lambda row, _v: cmd(*words, "delete", row_label(row, name_key)),
    )


def to_row(obj: Any) -> Row:
    """A plain dict from an openstacksdk resource (or a dict), without client-side noise."""
    if isinstance(obj, Mapping):
        data = dict(obj)
    elif hasattr(obj, "to_dict"):
        data = obj.to_dict(computed=False)
    else:
        data = dict(vars(obj))
    data.pop("location", None)
    return data
