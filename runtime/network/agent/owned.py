"""The DHCP and router namespaces this agent made, recorded in its state directory.

The list of named network namespaces is the machine's: several agents share it when
hosts are themselves namespaces (test labs, the installer's namespace hosts), and other
software may use the same prefixes. Resync and ``--cleanup`` remove only what this
record holds. A namespace is recorded before it is made, so a crash in between leaves
at worst a record of something absent, never an unrecorded namespace."""

from __future__ import annotations

import json
import os
from pathlib import Path


class OwnedNamespaces:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._names = set(json.loads(path.read_text()))
        except (FileNotFoundError, ValueError):
            self._names = set()

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def names(self) -> set[str]:
        return set(self._names)

    def add(self, name: str) -> None:
        if name not in self._names:
            self._names.add(name)
            self._save()

    def clear(self) -> None:
        if self._names:
            self._names.clear()
            self._save()

    def discard(self, name: str) -> None:
        if name in self._names:
            self._names.discard(name)
            self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(sorted(self._names)))
        os.replace(tmp, self.path)
