"""The Haneul TUI. This module only routes: *install* mode (no cloud configured yet, or
`haneul install`) or *manage* mode (`haneul manage`, or a bare `haneul` with a cloud in
clouds.yaml)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.manage.source import SdkSource, Source, cloud_names

HERE = Path(__file__).parent


class InstallUnavailable(Screen[None]):
    """Shown when the install wizard (tui/install) cannot be loaded."""

    BINDINGS = [Binding("q,escape", "app.quit", "quit")]

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason

    def compose(self) -> ComposeResult:
        yield Static("Install mode is not available yet.\n\n"
                     f"({self.reason})\n\n"
                     "Deploy with `haneul deploy -i INVENTORY`, then run `haneul manage`.",
                     id="unavailable")
        yield Footer()


def install_screen(inventory: Path | None) -> Screen[Any]:
    try:
        from tui.install.app import InstallMode
    except Exception as exc:  # not written yet, or broken: say so rather than crash
        return InstallUnavailable(f"{type(exc).__name__}: {exc}")
    screen: Screen[Any] = InstallMode(inventory=inventory)
    return screen


class HaneulApp(App[None]):
    CSS_PATH = [HERE / "manage" / "manage.tcss"]
    TITLE = "haneul"
    ENABLE_COMMAND_PALETTE = False  # ctrl+p switches project or cloud, as in manage mode

    def __init__(self, mode: str = "manage", *, cloud: str | None = None,
                 clouds_yaml: Path | None = None, source: Source | None = None,
                 readonly: bool = False, inventory: Path | None = None,
                 resource: str = "servers", refresh_seconds: float = 5.0) -> None:
        super().__init__()
        self.mode_name = mode
        self.cloud = cloud
        self.clouds_yaml = clouds_yaml
        self.source = source
        self.readonly = readonly
        self.inventory = inventory
        self.start_resource = resource
        self.refresh_seconds = refresh_seconds

    def on_mount(self) -> None:
        if self.mode_name == "install":
            self.push_screen(install_screen(self.inventory))
        else:
            self.open_manage()

    def on_install_finished(self, message: Any) -> None:
        """The install wizard's hand-over (tui.install.messages.InstallFinished, imported
        only with install mode): manage the cloud it has just deployed."""
        self.open_manage(message.cloud,
                         Path(message.clouds_yaml) if message.clouds_yaml else None)

    def open_manage(self, cloud: str | None = None, clouds_yaml: Path | None = None) -> None:
        """Route to manage mode (also what install mode calls once a cloud is up)."""
        from tui.manage.screens.manage import ManageScreen

        self.mode_name = "manage"
        name = cloud or self.cloud or "haneul"
        path = clouds_yaml or self.clouds_yaml
        self.manage = ManageScreen(self.source,
                                   connect=lambda: SdkSource.connect(name, path),
                                   cloud=name, readonly=self.readonly,
                                   resource=self.start_resource,
                                   refresh_seconds=self.refresh_seconds)
        if len(self.screen_stack) > 1:
            self.switch_screen(self.manage)
        else:
            self.push_screen(self.manage)


def default_cloud(clouds_yaml: Path | None) -> str | None:
    names = cloud_names(clouds_yaml)
    wanted = os.environ.get("OS_CLOUD")
    if wanted and wanted in names:
        return wanted
    if "haneul" in names:
        return "haneul"
    return names[0] if names else None


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="haneul", description="the Haneul terminal UI")
    sub = parser.add_subparsers(dest="mode")
    m = sub.add_parser("manage", help="manage a running cloud")
    m.add_argument("--cloud", help="cloud name in clouds.yaml (default $OS_CLOUD or haneul)")
    m.add_argument("--readonly", action="store_true", help="disable every change")
    m.add_argument("--clouds-yaml", type=Path, help="clouds.yaml to read")
    m.add_argument("--resource", default="servers", help="table to open first")
    i = sub.add_parser("install", help="install a cloud (the interactive installer)")
    i.add_argument("-i", "--inventory", type=Path)
    return parser.parse_args(argv)


def build_app(argv: list[str]) -> HaneulApp:
    args = parse(argv)
    if args.mode == "install":
        return HaneulApp("install", inventory=args.inventory)
    if args.mode == "manage":
        from tui.manage.resources import lookup

        resource = lookup(args.resource)
        if resource is None:
            raise SystemExit(f"haneul manage: no such resource {args.resource!r}")
        cloud = args.cloud or default_cloud(args.clouds_yaml)
        if cloud is None:
            raise SystemExit("haneul manage: no cloud in clouds.yaml "
                             "(run `haneul install`, or pass --cloud)")
        return HaneulApp("manage", cloud=cloud, clouds_yaml=args.clouds_yaml,
                         readonly=args.readonly, resource=resource.name)
    cloud = default_cloud(None)
    if cloud is None:
        return HaneulApp("install")
    return HaneulApp("manage", cloud=cloud)


def main(argv: list[str] | None = None) -> int:
    build_app(list(argv or [])).run()
    return 0
