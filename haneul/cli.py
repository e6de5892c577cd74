"""The `haneul` command. Subcommands import their package only when run, so that
`haneul serve` never loads Textual or Ansible."""

from __future__ import annotations

import argparse
import os
import secrets
import string
import sys
from pathlib import Path
from typing import Any


def _runtime_config(args: argparse.Namespace) -> Any:
    from runtime.common.config import load_config

    return load_config(
        args.config,
        state_dir=args.state_dir,
        server__host=getattr(args, "host", None),
        server__port=getattr(args, "port", None),
        server__public_url=getattr(args, "public_url", None),
        server__workers=getattr(args, "workers", None),
        database__url=args.db_url,
    )


def cmd_serve(args: argparse.Namespace) -> int:
    from runtime.server import serve

    return serve(_runtime_config(args), migrate=not args.no_migrate)


def cmd_db_sync(args: argparse.Namespace) -> int:
    from runtime.common.migrate import upgrade

    config = _runtime_config(args)
    upgrade(config.database_url)
    print(f"database at {config.database_url} is up to date")
    return 0


def _generate_password() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(24))


def cmd_bootstrap(args: argparse.Namespace) -> int:
    from runtime.common.db import Database
    from runtime.common.migrate import upgrade
    from runtime.identity.clouds_yaml import write_clouds_yaml, write_openrc
    from runtime.identity.service import Identity
    from runtime.identity.service.bootstrap import bootstrap

    config = _runtime_config(args)
    password = args.password or os.environ.get("OS_PASSWORD") or _generate_password()
    upgrade(config.database_url)
    db = Database(config.database_url)
    ident = Identity(db, config)
    result = bootstrap(ident, password=password, username=args.username,
                       project_name=args.project, services=config.enabled_services)
    made: list[str] = []
    if "compute" in config.enabled_services:
        from runtime.compute.service.bootstrap import bootstrap_compute

        made = bootstrap_compute(db, config)
        if made:
            print(f"flavors created: {', '.join(made)}")
    db.dispose()
    auth_url = config.public_url + "/identity/v3"
    if not args.no_clouds_yaml:
        clouds = Path(args.clouds_yaml).expanduser()
        write_clouds_yaml(clouds, args.cloud, auth_url, args.username, password, args.project,
                          config.identity.region)
        openrc = Path(args.openrc).expanduser()
        write_openrc(openrc, auth_url, args.username, password, args.project,
                     config.identity.region)
        print(f"cloud '{args.cloud}' written to {clouds} (and {openrc})")
    print(f"admin user {args.username} ({result.admin_user_id}), project {args.project} "
          f"({result.admin_project_id}); identity at {auth_url}")
    # The deployment's playbooks report `changed` from this last line.
    print("bootstrap: " + ("changed" if result.changed or made else "unchanged"))
    return 0


def cmd_token_rotate(args: argparse.Namespace) -> int:
    from runtime.identity.keys import KeyRepository

    config = _runtime_config(args)
    repo = KeyRepository(config.key_repository, config.identity.max_active_keys)
    primary = repo.rotate()
    print(f"token keys rotated in {repo.path}: primary key is now {primary}")
    return 0


def cmd_credential_rotate(args: argparse.Namespace) -> int:
    from runtime.common.db import Database
    from runtime.identity.service import Identity
    from runtime.identity.service.credentials import rotate_keys

    config = _runtime_config(args)
    db = Database(config.database_url)
    primary, count = rotate_keys(Identity(db, config))
    db.dispose()
    print(f"credential keys rotated in {config.credential_key_repository}: primary key is now "
          f"{primary}; {count} credential(s) re-encrypted")
    return 0


def cmd_agent(args: argparse.Namespace) -> int:
    from runtime.common.logs import setup_logging

    config = _runtime_config(args)
    setup_logging(config.server.log_level, config.server.log_format)
    if args.role == "compute":
        from runtime.compute.agent import run

        return run(config)
    if args.role == "network":
        from runtime.network.agent import cleanup
        from runtime.network.agent import run as run_network

        return cleanup(config) if args.cleanup else run_network(config)
    raise SystemExit(f"unknown agent {args.role}")


# Commands of the installer package: `haneul serve` must not import it (tests/unit/test_walls).
INSTALLER_COMMANDS = {
    "deploy": "deploy the cloud an inventory describes",
    "action": "run an installer action (see `haneul actions`)",
    "actions": "list the installer actions",
    "runs": "list deployment runs",
    "attach": "follow a deployment run (default: the latest)",
}

# Commands of the terminal UI (tui/, Textual): also loaded only when run. A bare `haneul`
# opens the TUI too.
TUI_COMMANDS = {
    "manage": "manage a cloud in the terminal UI ([--cloud NAME] [--readonly])",
    "install": "install a cloud with the terminal UI's wizard ([-i INVENTORY])",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="haneul", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def runtime_cmd(name: str, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_)
        p.add_argument("--config", help="config file (default $HANEUL_CONFIG or "
                       "/etc/haneul/haneul.toml)")
        p.add_argument("--state-dir", help="where the database and keys live")
        p.add_argument("--db-url", help="SQLAlchemy database URL")
        p.add_argument("--public-url", help="base URL clients use to reach the API")
        return p

    p = runtime_cmd("serve", "serve the cloud's APIs")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int)
    p.add_argument("--no-migrate", action="store_true", help="do not upgrade the schema first")
    p.set_defaults(func=cmd_serve)

    p = runtime_cmd("db-sync", "create or upgrade the database schema")
    p.set_defaults(func=cmd_db_sync)

    p = runtime_cmd("bootstrap", "create the admin user, project, roles and catalog")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--password", help="admin password (default $OS_PASSWORD or generated)")
    p.add_argument("--username", default="admin")
    p.add_argument("--project", default="admin")
    p.add_argument("--cloud", default="haneul", help="cloud name in clouds.yaml")
    p.add_argument("--clouds-yaml", default="~/.config/openstack/clouds.yaml")
    p.add_argument("--openrc", default="~/.config/openstack/haneul-openrc")
    p.add_argument("--no-clouds-yaml", action="store_true")
    p.set_defaults(func=cmd_bootstrap)

    p = runtime_cmd("agent", "run a node agent that converges this host on the controller")
    p.add_argument("role", choices=["compute", "network"], help="which agent")
    p.add_argument("--cleanup", action="store_true",
                   help="network: remove this host's bridges, namespaces, dnsmasq and "
                   "nftables tables, then exit (after the agent has stopped)")
    p.set_defaults(func=cmd_agent)

    # Parsed by their own packages (see main), listed here for --help.
    for name, help_ in INSTALLER_COMMANDS.items():
        sub.add_parser(name, help=help_)
    sub.add_parser("daemon", help="supervise a service where there is no systemd")
    for name, help_ in TUI_COMMANDS.items():
        sub.add_parser(name, help=help_)

    p = runtime_cmd("token-rotate", "rotate the token keys (run on one node, then sync)")
    p.set_defaults(func=cmd_token_rotate)
    p = runtime_cmd("credential-rotate",
                    "rotate the credential keys and re-encrypt every stored credential")
    p.set_defaults(func=cmd_credential_rotate)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["daemon"]:
        from haneul.daemon import main as daemon_main

        return daemon_main(argv[1:])
    if not argv or argv[0] in TUI_COMMANDS:
        from tui.app import main as tui_main

        return tui_main(argv)
    if argv[:1] and argv[0] in INSTALLER_COMMANDS:
        from installer.cli import main as installer_main

        return installer_main(argv)
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
