"""One module per CLI command; each has ``register(subparsers)`` and a runner.

The list below is the order ``relui --help`` shows them in.
"""

from relui.commands import status

COMMANDS = [status]

__all__ = ["COMMANDS"]
