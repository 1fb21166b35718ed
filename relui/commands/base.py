"""What every command shares: exit codes, the context, output helpers."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeAlias

from relui.backends import build_ports
from relui.clock import SystemClock
from relui.config import find_config, load_config
from relui.identity import operator_of, resolve_principals
from relui.ports import Clock
from relui.services.context import Context
from relui.services.problems import Problem, ServiceError
from relui.statedir import name_problem, operator_name, resolve_state_dir

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BLOCKED = 3

# The first key of every --json document; raised when a documented key changes meaning or goes away.
SCHEMA_VERSION = 1


class CommandError(Exception):
    """A refusal with the exit code to leave with; the message is one line."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code

    @classmethod
    def of(cls, error: ServiceError) -> CommandError:
        """A service's no, with the exit code of its kind (the table in docs/cli.md)."""
        return cls(str(error), EXIT_FOR[error.problem])


EXIT_FOR = {Problem.REFUSED: EXIT_BLOCKED, Problem.USAGE: EXIT_USAGE, Problem.FAILED: EXIT_FAILED}

NO_TERMINAL = "the TUI needs a terminal; use a subcommand, e.g. relui status"
NO_TERMINAL_STDERR = (
    "the TUI draws on stderr, which is not a terminal here (2> redirected?); "
    "keep stderr on the terminal, or use a subcommand, e.g. relui status"
)


def tui_refusal(needs_stdout: bool = True) -> str | None:
    """Why a TUI cannot start here, or None: it reads keys from stdin and draws on stderr (Textual's driver).

    With stderr sent to a file the screen went there, blank to the operator,
    while the app took their keys. ``needs_stdout``: the main TUI wants it
    too; ``relui drill NAME --json`` prints its score there, so a pipe is fine.
    """
    if not sys.stdin.isatty() or (needs_stdout and not sys.stdout.isatty()):
        return NO_TERMINAL
    if not sys.stderr.isatty():
        return NO_TERMINAL_STDERR
    return None


def global_options(suppress: bool) -> argparse.ArgumentParser:
    """--config, --state-dir, --read-only: accepted before or after the command."""
    default = argparse.SUPPRESS if suppress else None
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="FILE",
        default=default,
        help="config file (default: $RELUI_CONFIG, ./config.toml, XDG config dir)",
    )
    common.add_argument(
        "--state-dir", metavar="DIR", default=default, help="state dir (default: $RELUI_STATE_DIR, XDG state dir)"
    )
    common.add_argument(
        "--read-only",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="look, never act: every action is refused",
    )
    return common


# What add_subparsers() returns; quoted because argparse does not subscript at run time.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_command(sub: Subparsers, name: str, help: str) -> argparse.ArgumentParser:
    """A subcommand that also takes the global options after its name."""
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=help, description=help, parents=[global_options(suppress=True)]
    )
    return parser


# The positional arguments that name an environment, in every command that takes one.
ENV_ARGUMENTS = ("env", "scope", "verify_env")


def empty_env_refusal(args: argparse.Namespace) -> str | None:
    """Why an environment argument given as "" is refused, or None.

    ``relui status "$ENV"`` with ENV unset would otherwise report every
    environment and exit 0, and a pipeline would check the wrong one.
    """
    for name in ENV_ARGUMENTS:
        value = getattr(args, name, None)
        if isinstance(value, str) and not value.strip():
            return "the environment named is empty (an unset shell variable?); name one, as in: relui status prod"
    return None


def json_option(parser: argparse.ArgumentParser, what: str) -> None:
    """``--json``: the command's report as one JSON object on stdout (its keys are in docs/cli.md)."""
    parser.add_argument("--json", action="store_true", help=f"print {what} as one JSON object (docs/cli.md)")


def yes_option(parser: argparse.ArgumentParser, why: str) -> None:
    """``--yes`` on a command that acts but never asks: accepted, so a pipeline may pass it to every step."""
    parser.add_argument("--yes", action="store_true", help=f"accepted for pipelines; {why}")


def build_context(args: argparse.Namespace, clock: Clock | None = None) -> Context:
    """Config, state dir, ports, and who acts on the environments the command touches (asked once each)."""
    local = operator_name()
    problem = name_problem(local)
    if problem:
        raise CommandError(f"the user name relui was given is unusable: {problem}; set RELUI_USER to a login name")
    for option, value in (("--config", args.config), ("--state-dir", args.state_dir)):
        if value is not None and not value.strip():
            # "--state-dir $DIR" with DIR unset: the default would be used without a word.
            raise CommandError(f"{option} is empty; give a path, or leave {option} out for the default")
    config = load_config(find_config(args.config))
    state_dir = usable_state_dir(resolve_state_dir(args.state_dir))
    ports = build_ports(config, state_dir, clock or SystemClock())
    env = getattr(args, "env", None)
    principals = resolve_principals(config, [env] if isinstance(env, str) and env else None)
    return Context(
        config=config,
        state_dir=state_dir,
        ports=ports,
        operator=operator_of(principals, local),
        read_only=bool(args.read_only or config.read_only),
        principals=principals,
    )


def usable_state_dir(path: Path) -> Path:
    """The state dir, created if missing; a file in its place (or no way to create it) is one line, exit 2."""
    if path.exists() and not path.is_dir():
        raise CommandError(f"state dir {path} is not a directory; pass --state-dir DIR or set RELUI_STATE_DIR")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"state dir {path} cannot be created: {exc.strerror}; pass --state-dir DIR") from None
    return path


def print_json(document: Mapping[str, Any]) -> None:
    """One JSON object on stdout, ``"schema_version"`` its first key; written whole or not at all.

    Every ``--json`` goes through here, so every document carries the
    version (docs/cli.md, "JSON output"). It is serialized before the first
    byte is written: a value that cannot be encoded leaves stdout empty.
    """
    version = document.get("schema_version", SCHEMA_VERSION)
    body = {key: value for key, value in document.items() if key != "schema_version"}
    text = json.dumps({"schema_version": version, **body}, indent=2, default=str)
    sys.stdout.write(text + "\n")


def percent(rate: float | None) -> str:
    """An error rate as operators read it: 0.42%, or '-' when unknown."""
    return "-" if rate is None else f"{rate * 100:.2f}%"
