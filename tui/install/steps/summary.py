"""Step: the cloud is up — where it answers, where the credentials are, what next."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.install.messages import InstallFinished
from tui.install.steps.base import Step

# Where each service answers under the one API listener (the catalog is the authority:
# `openstack catalog list`). The TUI talks HTTP only, so these are not imported.
ENDPOINTS = {"identity": "/identity/v3", "image": "/image", "compute": "/compute/v2.1",
             "network": "/networking"}


class SummaryStep(Step):
    TITLE = "Done"
    NEXT_LABEL = "Manage (m)"
    BINDINGS = [Binding("m", "manage", "Manage mode")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="summary-view", can_focus=True):
            yield Static("", id="summary")

    def load(self) -> None:
        state = self.ctx.state
        cloud = state.cloud_name()
        text = Text()
        text.append("Haneul is deployed.\n\n", style="bold green")
        text.append("Endpoints\n", style="bold")
        for service in state.services:
            path = ENDPOINTS.get(service)
            where = state.public_url() + path if path else "see the catalog"
            text.append(f"  {service:<15}{where}\n")
        text.append("\nAdmin credentials\n", style="bold")
        text.append(f"  clouds.yaml   {state.clouds_yaml()}  (cloud {cloud!r})\n")
        secrets = state.extra_vars.get("haneul_secrets_file") or \
            f"~/.config/haneul/secrets/{state.inventory_path.stem}.yml"
        text.append(f"  secrets       {secrets} (mode 0600)\n")
        text.append(f"\nTry: openstack --os-cloud {cloud} catalog list\n")
        text.append(f"Again, unattended: haneul deploy -i {state.inventory_path}\n")
        text.append("\nPress m to switch to manage mode.", style="bold")
        self.query_one("#summary", Static).update(text)

    def can_go_back(self) -> bool:
        return False

    def proceed(self) -> bool:
        self.action_manage()
        return False

    def action_manage(self) -> None:
        state = self.ctx.state
        self.app.post_message(InstallFinished(cloud=state.cloud_name(),
                                              clouds_yaml=state.clouds_yaml()))
