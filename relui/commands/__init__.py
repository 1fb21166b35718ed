"""One module per CLI command; each has ``register(subparsers)`` and a runner.

The list below is the order ``relui --help`` shows them in.
"""

from relui.commands import actions, calendar, checklist, journal, lock, status

COMMANDS = [status, actions, checklist, journal, lock, calendar]

__all__ = ["COMMANDS"]
