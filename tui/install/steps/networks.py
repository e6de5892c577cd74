"""Step: the networks — interfaces and CIDRs, and the floating IP range."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Grid
from textual.widgets import Input, Label, Static

from tui.install.steps.base import Step

ROWS = (
    ("Management", "management_interface", "eth0", "management_cidr", "10.20.0.0/24"),
    ("Tunnel", "tunnel_interface", "eth1", "tunnel_cidr", "10.30.0.0/24"),
    ("External", "external_interface", "eth2", "external_cidr", "203.0.113.0/24"),
    ("Floating IPs", "floating_start", "203.0.113.100", "floating_end", "203.0.113.200"),
)


class NetworksStep(Step):
    TITLE = "Networks"

    def compose(self) -> ComposeResult:
        yield Static("Interfaces are the same name on every host. Leave a field empty "
                     "for the default (the address Ansible uses; no external network).",
                     classes="help")
        with Grid(id="network-grid"):
            yield Label("")
            yield Label("Interface / first IP", classes="column-head")
            yield Label("CIDR / last IP", classes="column-head")
            for label, left, left_hint, right, right_hint in ROWS:
                yield Label(label, classes="label")
                yield Input(placeholder=left_hint, id=f"net-{left}", compact=True)
                yield Input(placeholder=right_hint, id=f"net-{right}", compact=True)

    def load(self) -> None:
        for _label, left, _lh, right, _rh in ROWS:
            for attr in (left, right):
                self.query_one(f"#net-{attr}", Input).value = getattr(
                    self.ctx.state.networks, attr)

    def save(self) -> list[str]:
        for _label, left, _lh, right, _rh in ROWS:
            for attr in (left, right):
                setattr(self.ctx.state.networks, attr,
                        self.query_one(f"#net-{attr}", Input).value.strip())
        return self.ctx.state.network_problems()
