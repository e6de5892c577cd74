"""Step: storage — a backing file or block devices on each storage host."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Select, Static

from tui.install.state import Storage
from tui.install.steps.base import Step

KINDS = [("a file (GB)", "files"), ("devices", "devices")]


class StorageRow(Horizontal):
    """One storage host: a file of N GB, or a list of block devices."""

    def __init__(self, host: str, store: Storage) -> None:
        super().__init__(classes="form-row storage-row")
        self.host, self.store = host, store

    def compose(self) -> ComposeResult:
        yield Label(self.host, classes="label")
        yield Select(KINDS, value=self.store.kind, allow_blank=False, compact=True,
                     classes="storage-kind")
        value = ", ".join(self.store.devices) if self.store.kind == "devices" \
            else str(self.store.size_gb)
        yield Input(value, placeholder="/dev/sdb, /dev/sdc  or  20", compact=True,
                    classes="storage-value")

    def read(self) -> Storage:
        kind = self.query_one(".storage-kind", Select).value
        text = self.query_one(".storage-value", Input).value.strip()
        if kind == "devices":
            devices = [d.strip() for d in text.replace(",", " ").split() if d.strip()]
            return Storage(kind="devices", devices=devices)
        try:
            size = int(text or "20")
        except ValueError:
            size = 0
        return Storage(kind="files", size_gb=size)


class StorageStep(Step):
    TITLE = "Storage"

    def compose(self) -> ComposeResult:
        yield Static("Each storage host keeps volumes in one file under haneul_state_dir "
                     "(size in GB) or on whole block devices (erased!).", classes="help")
        yield VerticalScroll(id="storage-rows")
        yield Static("", id="storage-none", classes="help")

    def load(self) -> None:
        self.ctx.state.prune_storage()
        rows = self.query_one("#storage-rows", VerticalScroll)
        rows.remove_children()
        stores = self.ctx.state.storage
        rows.mount_all([StorageRow(name, store) for name, store in sorted(stores.items())])
        self.query_one("#storage-none", Static).update(
            "" if stores else "No host has the storage role: nothing to set up here.")

    def save(self) -> list[str]:
        for row in self.query(StorageRow):
            if row.host in self.ctx.state.storage and row.is_attached:
                self.ctx.state.storage[row.host] = row.read()
        return self.ctx.state.storage_problems()
