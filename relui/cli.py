"""The command line: ``relui`` starts the TUI, ``relui <command>`` runs headless.

Exit codes are the same for every command (docs/cli.md): 0 ok, 1 the action
failed, 2 usage or config error, 3 refused by a guard or a permission. Errors
are one line on stderr, never a traceback. A reader that goes away (``| head``)
does not change the exit code: the command runs to its end and keeps it.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any

from relui import __version__, startup_heap
from relui.commands import command_modules
from relui.commands.base import (
    EXIT_FAILED,
    EXIT_FOR,
    EXIT_USAGE,
    CommandError,
    build_context,
    empty_env_refusal,
    global_options,
    tui_refusal,
)
from relui.config import ConfigError
from relui.ports import PortError
from relui.services import stopping
from relui.services.journal import JournalError
from relui.services.problems import ServiceError
from relui.stop_signals import STOP_SIGNALS, say, silence

EXAMPLES = """\
examples:
  relui init                            write a starter config.toml (sandbox) here
  relui                                 the TUI (needs a terminal)
  relui status --json                   every environment as one JSON document
  relui deploy qa 1.6.0 --yes           deploy to QA's idle color, then smoke it
  relui cutover prod --yes --reason "release 1.6.0"
  relui rollback prod --yes --reason "error rate above 5%"
  relui doctor                          check every configured source
  relui completion bash > ~/.local/share/bash-completion/completions/relui

exit codes: 0 ok, 1 failed, 2 usage or config error, 3 refused by a guard or permission
"""


def build_parser() -> argparse.ArgumentParser:
    """The full parser: global options and one subparser per command module."""
    parser = argparse.ArgumentParser(
        prog="relui",
        description="Release-day console for blue/green deployments. With no command, starts the TUI.",
        parents=[global_options(suppress=False)],
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"relui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in command_modules():
        module.register(sub)
    return parser


def parse(argv: list[str]) -> argparse.Namespace:
    """The arguments; with no command (the TUI) only the global options are parsed.

    Building the full parser imports every command module, which the TUI
    does not need before its first frame. Anything beyond the global
    options (a command, --help, --version, a typo) goes to the full parser.
    """
    tui = argparse.ArgumentParser(
        prog="relui", add_help=False, parents=[global_options(suppress=False)], exit_on_error=False
    )
    try:
        known, rest = tui.parse_known_args(argv)
    except argparse.ArgumentError:
        rest = argv  # the full parser says what was wrong, with its usage line
    if rest:
        return build_parser().parse_args(argv)
    known.command = None
    return known


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


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP with no action running, or a second one: the command ends as Ctrl-C ends it.

    Raised in the main thread, it unwinds whatever runs like Ctrl-C: an action
    is journaled as interrupted, and the lock it took is given back.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


class CommandStop:
    """SIGTERM (``timeout``, systemd, a cancelled CI job) or SIGHUP during a command, as the TUI takes them.

    While an action runs, the first signal asks it to end safely, through the
    same ``stop_own_actions`` the TUI's signal uses: a deploy or smoke is
    aborted (the idle color put back, the lock given back), a traffic switch
    finishes, nothing new starts. The command then ends as the action does,
    with exit code 143. With nothing running, or at a second signal, it stops
    at once (``Terminated``). The handler itself only looks and starts a thread:
    the stop takes locks the interrupted main thread may hold.
    """

    def __init__(self) -> None:
        self.signum: int | None = None

    def __call__(self, signum: int, _frame: object) -> None:
        why = f"stopped by {signal.Signals(signum).name}"
        if self.signum is None and stopping.busy():
            self.signum = signum
            threading.Thread(target=self._stop, args=(why,), name="relui-signal-stop", daemon=True).start()
            return
        raise Terminated(signum)

    @staticmethod
    def _stop(why: str) -> None:
        stopping.stop_all(why)  # never raises: an action it could not ask (a full disk) runs to its own end

    def said(self) -> str:
        """The line for stderr once the command has returned."""
        assert self.signum is not None
        name = signal.Signals(self.signum).name
        return f"relui: stopped by {name}; its action was brought to a safe end first (relui journal)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run relui; returns the process exit code."""
    startup_heap.hold()
    try:
        return _main(argv)
    finally:
        startup_heap.release()


def _run_tui(args: argparse.Namespace) -> int:
    """The TUI; its first readings start before Textual is imported, so a cluster answers while it loads."""
    ctx = build_context(args)
    from relui.screens.reading import start_readings

    readings = start_readings(ctx)
    from relui.app import run_tui

    return run_tui(ctx, readings)


def _main(argv: Sequence[str] | None) -> int:
    quiet_libraries()
    args = parse(sys.argv[1:] if argv is None else list(argv))
    stop = CommandStop()
    if args.command is not None:
        startup_heap.release()  # only the TUI's first frame waits for collections
        for signum in STOP_SIGNALS:
            signal.signal(signum, stop)
    try:
        if args.command is None:
            refusal = tui_refusal()
            if refusal:
                # Without a terminal Textual would draw into a pipe (or a log file) until killed.
                raise CommandError(refusal, EXIT_USAGE)
            return _run_tui(args)
        empty = empty_env_refusal(args)
        if empty:
            raise CommandError(empty, EXIT_USAGE)
        ctx = build_context(args) if getattr(args, "needs_context", True) else None
        with reader_may_leave():
            code: int = args.run(args, ctx)
        if stop.signum is not None:
            say(stop.said())
            return 128 + stop.signum
        return code
    except (ConfigError, CommandError) as exc:
        say(f"relui: {exc}")
        return exc.code if isinstance(exc, CommandError) else EXIT_USAGE
    except JournalError as exc:
        # The state dir's journal cannot be written: the state dir is to fix (docs/cli.md), whichever command met it.
        say(f"relui: {exc}")
        return EXIT_USAGE
    except PortError as exc:
        say(f"relui: {exc}")
        return EXIT_FAILED
    except ServiceError as exc:
        # A command that let one through still says it in one line, with its kind's exit code.
        say(f"relui: {exc}")
        return EXIT_FOR[exc.problem]
    except BrokenPipeError:
        # Only a write that bypassed the guard gets here (the code is unknown): not "ok".
        silence(sys.stdout)
        return EXIT_FAILED
    except Terminated as exc:
        say(f"relui: {exc}; an action it had started is in the journal as interrupted (relui journal)")
        return 128 + exc.signum
    except KeyboardInterrupt:
        say("relui: interrupted")
        return 130


class _PipeSafe:
    """stdout that drops what it cannot write once the reader has gone (``| head -1``).

    The command goes on to its end, so an action is never cut half way by
    a closed pipe and its exit code is the one it returns.
    """

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        """Write, or drop the text once the pipe is broken."""
        if not self.broken:
            try:
                self.stream.write(text)
            except OSError:  # a closed pipe, or a terminal that hung up (EIO)
                self._gone()
        return len(text)

    def flush(self) -> None:
        """Flush, unless the pipe is broken."""
        if not self.broken:
            try:
                self.stream.flush()
            except OSError:
                self._gone()

    def _gone(self) -> None:
        self.broken = True
        # Python flushes stdout again at exit: that flush must not fail either.
        silence(self.stream)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


@contextmanager
def reader_may_leave() -> Iterator[None]:
    """Run a command with stdout and stderr that survive their reader leaving (``2>&1 | head -1``)."""
    original = sys.stdout, sys.stderr
    out, err = _PipeSafe(original[0]), _PipeSafe(original[1])
    sys.stdout, sys.stderr = out, err
    try:
        yield
        out.flush()
    finally:
        sys.stdout, sys.stderr = original
