"""The resource table: rows by id, status in colour, selection and scroll kept across
refreshes."""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from tui.manage.logic import row_cells, status_style
from tui.manage.resources.base import Resource, Row


class ResourceTable(DataTable[Text]):
    BINDINGS = [
        Binding("j", "cursor_down", "down", show=False),
        Binding("k", "cursor_up", "up", show=False),
        Binding("g", "scroll_top", "top", show=False),
        Binding("G", "scroll_bottom", "bottom", show=False),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self._resource: str | None = None
        self._keys: list[str] = []
        self._cells: dict[str, list[str]] = {}
        self._status_col: int | None = None
        self._widths: dict[int, int] = {}
        self._pending_scroll: tuple[float, float] | None = None

    async def _on_idle(self, event: events.Idle) -> None:
        # DataTable measures new rows when idle, but lines it drew before then stay cached
        # at the old column widths; drop them once the widths are known.
        pending = self._require_update_dimensions or bool(self._updated_cells)
        await super()._on_idle(event)
        if pending:
            self._update_count += 1
            self.refresh()

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        # Every cell is one line of Text whose width show() already computed: set the
        # columns' widths from that rather than have Rich measure each cell (most of the
        # cost of showing 1,000 rows).
        for i, column in enumerate(self.ordered_columns):
            column.content_width = max(cell_len(column.label.plain), self._widths.get(i, 0))
        super()._update_dimensions(())
        if self._pending_scroll is not None:
            x, y = self._pending_scroll
            self._pending_scroll = None
            self.scroll_to(x, y, animate=False, immediate=True)

    @property
    def selected_key(self) -> str | None:
        if not self._keys or self.cursor_row < 0 or self.cursor_row >= len(self._keys):
            return None
        return self._keys[self.cursor_row]

    def _cell(self, index: int, text: str) -> Text:
        # Always Text: a str cell would be parsed as markup (slow, and a name with
        # [brackets] would be mangled).
        if index == self._status_col and text:
            return Text(text, style=status_style(text), end="")
        return Text(text, end="")

    def show(self, resource: Resource, rows: list[Row]) -> None:
        """Show `rows`, keeping the selected row (by id) and the scroll position."""
        fresh = resource.name != self._resource
        if fresh:
            self.clear(columns=True)
            self._resource = resource.name
            self._keys = []
            self._cells = {}
            titles = [c.title for c in resource.columns]
            self._widths = {}
            self._status_col = next((i for i, c in enumerate(resource.columns)
                                     if c.key == resource.status_key), None)
            for i, title in enumerate(titles):
                self.add_column(title, key=str(i))
        keys = [str(r.get(resource.id_key)) for r in rows]
        cells = {k: row_cells(resource, r) for k, r in zip(keys, rows, strict=True)}
        if keys == self._keys:
            for key in keys:
                old = self._cells.get(key)
                for i, text in enumerate(cells[key]):
                    if old is None or old[i] != text:
                        # Only a wider text needs measuring (measuring a narrower one
                        # re-measures the whole column: quadratic on a big refresh).
                        wider = cell_len(text) > self._widths.get(i, 0)
                        self.update_cell(key, str(i), self._cell(i, text), update_width=wider)
                        if wider:
                            self._widths[i] = cell_len(text)
            self._cells = cells
            return
        selected = self.selected_key
        old_row = self.cursor_row
        scroll_x, scroll_y = (0.0, 0.0) if fresh else (self.scroll_x, self.scroll_y)
        self.clear()
        seen: set[str] = set()
        for key in keys:
            if key in seen:  # a cloud should not, but never crash on it
                continue
            seen.add(key)
            self.add_row(*[self._cell(i, t) for i, t in enumerate(cells[key])], key=key)
        self._keys = list(dict.fromkeys(keys))
        self._cells = cells
        for i in range(len(resource.columns)):
            self._widths[i] = max((cell_len(c[i]) for c in cells.values()), default=0)
        if self._keys:
            index = (self._keys.index(selected) if selected in self._keys
                     else min(max(old_row, 0), len(self._keys) - 1))
            if selected in self._keys and not fresh:
                # Rows came or went above the selection: scroll as much, so the selected
                # row stays where the user sees it.
                scroll_y = max(0.0, scroll_y + index - old_row)
            self.move_cursor(row=index, scroll=False)
        if not fresh:
            # The new rows' height is known only once DataTable has measured them (idle).
            self._pending_scroll = (scroll_x, scroll_y)
