"""Step: the services the control host serves."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import SelectionList, Static

from tui.install.state import SERVICES
from tui.install.steps.base import Step

DESCRIPTIONS = {
    "identity": "identity (Keystone v3) — required",
    "image": "image (Glance v2)",
    "compute": "compute (Nova v2.1)",
    "network": "network (Neutron v2.0)",
    "block_storage": "block storage (Cinder v3)",
    "object_store": "object storage (Swift v1)",
}


class ServicesStep(Step):
    TITLE = "Services"

    def compose(self) -> ComposeResult:
        yield Static("Space (or a click) turns a service on or off.", classes="help")
        yield SelectionList[str](*((DESCRIPTIONS[s], s) for s in SERVICES),
                                 id="services", compact=True)

    def load(self) -> None:
        chooser = self.query_one("#services", SelectionList)
        chooser.deselect_all()
        for service in self.ctx.state.services:
            if service in SERVICES:
                chooser.select(service)

    def save(self) -> list[str]:
        chosen = set(self.query_one("#services", SelectionList).selected)
        self.ctx.state.services = [s for s in SERVICES if s in chosen]
        return self.ctx.state.service_problems()
