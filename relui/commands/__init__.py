"""One module per CLI command; each has ``register(subparsers)`` and a runner.

``NAMES`` is the order ``relui --help`` shows them in. The modules are
imported only when the full parser is built: the TUI, started with no
command, never pays for the commands' imports before its first frame.
"""

from __future__ import annotations

import importlib
from types import ModuleType

NAMES = (
    "status",
    "whoami",
    "actions",
    "intervene",
    "checklist",
    "journal",
    "lock",
    "calendar",
    "readiness",
    "drill",
    "records",
    "doctor",
    "init",
    "completion",
)


def command_modules() -> list[ModuleType]:
    """Every command module, in ``--help`` order."""
    return [importlib.import_module(f"relui.commands.{name}") for name in NAMES]


__all__ = ["NAMES", "command_modules"]
