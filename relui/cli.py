"""The command line: ``relui`` starts the TUI, ``relui <command>`` runs headless.

Exit codes are the same for every command: 0 ok, 1 the action failed,
2 usage or config error, 3 blocked by a guard. Errors are one line on
stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from relui import __version__
from relui.commands import COMMANDS
from relui.commands.base import EXIT_USAGE, CommandError, build_context, global_options
from relui.config import ConfigError
from relui.ports import PortError


def build_parser() -> argparse.ArgumentParser:
    """The full parser: global options and one subparser per command module."""
    parser = argparse.ArgumentParser(
        prog="relui",
        description="Release-day console for blue/green deployments. With no command, starts the TUI.",
        parents=[global_options(suppress=False)],
    )
    parser.add_argument("--version", action="version", version=f"relui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    return parser


def quiet_libraries() -> None:
    """Keep library log lines (pyhelm3, botocore ...) off the terminal and the TUI.

    Failures reach the operator as one-line errors from the adapters; the
    raw library logs go to the file named by $RELUI_LOG when it is set.
    """
    log_file = os.environ.get("RELUI_LOG")
    if log_file:
        logging.basicConfig(
            filename=log_file, level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s"
        )
    else:
        logging.getLogger().addHandler(logging.NullHandler())


def main(argv: Sequence[str] | None = None) -> int:
    """Run relui; returns the process exit code."""
    quiet_libraries()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            from relui.app import run_tui

            return run_tui(build_context(args))
        ctx = build_context(args)
        code: int = args.run(args, ctx)
        return code
    except (ConfigError, CommandError) as exc:
        print(f"relui: {exc}", file=sys.stderr)
        return exc.code if isinstance(exc, CommandError) else EXIT_USAGE
    except PortError as exc:
        print(f"relui: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader (head, less) went away; nothing more to say to it.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("relui: interrupted", file=sys.stderr)
        return 130
