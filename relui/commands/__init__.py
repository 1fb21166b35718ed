"""One module per CLI command; each has ``register(subparsers)`` and a runner.

The list below is the order ``relui --help`` shows them in.
"""

from relui.commands import calendar, status

COMMANDS = [status, calendar]

__all__ = ["COMMANDS"]
