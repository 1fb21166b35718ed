"""The ``relui`` command's entry point: collections are held off from before the first import.

``relui.cli`` and what it imports are a good part of start-up's allocations;
holding the collector only once ``cli.main`` runs would leave them to it.
``relui.cli.main`` turns it back on for a CLI command as soon as the
arguments are parsed, and the TUI once its first frame is up
(``relui.startup_heap``).
"""

from __future__ import annotations

from collections.abc import Sequence

from relui import startup_heap


def main(argv: Sequence[str] | None = None) -> int:
    """Run relui (``relui.cli.main``) with the collector held off until it says otherwise."""
    startup_heap.hold()
    from relui.cli import main as cli_main

    return cli_main(argv)
