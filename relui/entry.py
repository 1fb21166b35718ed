"""The ``relui`` command's entry point: collections are held off from before the first import.

``relui.cli`` and what it imports are a good part of start-up's allocations;
holding the collector only once ``cli.main`` runs would leave them to it.
``relui.cli.main`` turns it back on for a CLI command as soon as the
arguments are parsed, and the TUI once its first frame is up
(``relui.startup_heap``).

The code ``dataclasses`` generates is looked up, not compiled, from the first
import on as well (``relui.startup_code``); what a start had to compile is
written for the next when the command or the TUI ends, never on the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence

from relui import startup_code, startup_heap


def main(argv: Sequence[str] | None = None) -> int:
    """Run relui (``relui.cli.main``) with the collector held off until it says otherwise."""
    startup_heap.hold()
    startup_code.install()
    try:
        from relui.cli import main as cli_main

        return cli_main(argv)
    finally:
        startup_code.flush()
        startup_code.uninstall()  # a caller in this process (a test) gets dataclasses as it left them
