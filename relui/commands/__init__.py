"""One module per CLI command; each has ``register(subparsers)`` and a runner.

The list below is the order ``relui --help`` shows them in.
"""

from relui.commands import (
    actions,
    calendar,
    checklist,
    completion,
    doctor,
    drill,
    init,
    intervene,
    journal,
    lock,
    readiness,
    records,
    status,
    whoami,
)

COMMANDS = [
    status,
    whoami,
    actions,
    intervene,
    checklist,
    journal,
    lock,
    calendar,
    readiness,
    drill,
    records,
    doctor,
    init,
    completion,
]

__all__ = ["COMMANDS"]
