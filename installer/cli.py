"""The installer's commands: `haneul deploy`, `haneul action`, `haneul actions`,
`haneul runs` and `haneul attach` (wired into the `haneul` dispatcher)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from installer.actions import ACTIONS, get_action
from installer.events import HostResult, RunFinished
from installer.inventory import InventoryError, parse
from installer.progress import JsonReporter, LineReporter, Progress, TerminalReporter, summary
from installer.runs import Run, create, find, list_runs, start_detached


def _expected_results(action: str, inventory: str) -> int | None:
    """How many task results the last successful run of this action produced."""
    for run in reversed(list_runs()):
        info = run.info()
        if info.action == action and info.inventory == inventory and \
                info.status == "successful":
            return sum(isinstance(e, HostResult) for e in run.events())
    return None


def follow(run: Run, as_json: bool) -> int:
    """Show a run's progress until it ends; Ctrl-C detaches and leaves it running."""
    info = run.info()
    progress = Progress(expected=_expected_results(info.action, info.inventory))
    reporter: JsonReporter | TerminalReporter | LineReporter
    if as_json:
        reporter = JsonReporter()
    elif sys.stdout.isatty():
        reporter = TerminalReporter(progress)
    else:
        reporter = LineReporter(progress)
    try:
        for event in run.follow():
            reporter.event(event)
            if as_json:
                progress.apply(event)
    except KeyboardInterrupt:
        print(f"\ndetached; the {info.action} goes on. Follow it again with: "
              f"haneul attach {run.id}", file=sys.stderr)
        return 130
    if not as_json:
        print(summary(progress))
        print(f"run {run.id}: events and the full log in {run.path}")
    finished = progress.finished or RunFinished(status="unknown", rc=1)
    return 0 if finished.status == "successful" else (finished.rc or 1)


def _extravars(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"-e expects KEY=VALUE, got {pair!r}")
        out[key] = value
    return out


def cmd_action(args: argparse.Namespace) -> int:
    action = get_action(args.action)  # argparse allowed only known names
    inventory = Path(args.inventory)
    try:
        parse(inventory)
    except InventoryError as err:
        print(f"error: the inventory cannot be deployed: {err}", file=sys.stderr)
        return 2
    if action.needs_limit and not args.limit:
        print(f"error: {action.name} needs --limit HOSTS", file=sys.stderr)
        return 2
    if action.destructive and not args.yes:
        if not sys.stdin.isatty():
            print(f"error: {action.name} is destructive; add --yes", file=sys.stderr)
            return 2
        answer = input(f"{action.name}: {action.summary}. Type '{action.name}' to go on: ")
        if answer.strip() != action.name:
            return 1
    run = create(action.name, inventory, limit=args.limit, check=args.check,
                 extravars=_extravars(args.extra))
    start_detached(run)
    if not args.json:
        print(f"run {run.id} started ({action.name}, {inventory}); Ctrl-C detaches, "
              f"the run goes on")
    if args.detach:
        return 0
    return follow(run, args.json)


def cmd_actions(_args: argparse.Namespace) -> int:
    width = max(len(name) for name in ACTIONS)
    for action in ACTIONS.values():
        flags = " (needs --limit)" if action.needs_limit else ""
        print(f"{action.name:<{width}}  {action.summary}{flags}")
    return 0


def cmd_runs(_args: argparse.Namespace) -> int:
    runs = list_runs()
    if not runs:
        print("no runs yet")
    for run in runs:
        info = run.info()
        limit = f" --limit {info.limit}" if info.limit else ""
        print(f"{info.id}  {info.status:<12} {info.action}  {info.inventory}{limit}")
    return 0


def cmd_attach(args: argparse.Namespace) -> int:
    try:
        run = find(args.run)
    except LookupError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return follow(run, args.json)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="haneul")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    def action_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("-i", "--inventory", required=True, help="inventory file (YAML)")
        p.add_argument("--limit", help="only these hosts (Ansible pattern)")
        p.add_argument("--check", action="store_true", help="show what would change")
        p.add_argument("--json", action="store_true", help="one event per line")
        p.add_argument("--detach", action="store_true", help="start and return at once")
        p.add_argument("--yes", action="store_true", help="no confirmation (destructive)")
        p.add_argument("-e", "--extra", action="append", default=[], metavar="KEY=VALUE",
                       help="an extra variable for every playbook")
        p.set_defaults(func=cmd_action)

    p = sub.add_parser("deploy", help="deploy the cloud an inventory describes")
    action_args(p)
    p.set_defaults(action="deploy")
    p = sub.add_parser("action", help="run an installer action (see `haneul actions`)")
    p.add_argument("action", choices=list(ACTIONS))
    action_args(p)
    sub.add_parser("actions", help="list the installer actions").set_defaults(func=cmd_actions)
    sub.add_parser("runs", help="list deployment runs").set_defaults(func=cmd_runs)
    p = sub.add_parser("attach", help="follow a deployment run (default: the latest)")
    p.add_argument("run", nargs="?")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_attach)
