"""The ``local`` Identity: who the environment variables say is acting, never verified.

``$RELUI_USER``, else ``$SUDO_USER``, else ``$USER``: anyone can set these, so
the principal is shown everywhere as unverified and a protected environment
refuses it unless it sets ``allow_unverified = true`` (the sandbox's PROD).
"""

from __future__ import annotations

import os
import pwd

from relui.domain import Principal

VARIABLES = ("RELUI_USER", "SUDO_USER", "USER")


class LocalIdentity:
    """The ``Identity`` port over environment variables."""

    def whoami(self) -> Principal:
        """The first of $RELUI_USER, $SUDO_USER, $USER that is set, unverified."""
        for var in VARIABLES:
            value = os.environ.get(var)
            if value:
                return Principal(value, value, verified=False, how=f"local ${var} (unverified)", kind="local")
        return Principal("unknown", "unknown", verified=False, how="local: no $RELUI_USER or $USER (unverified)")


def os_login() -> str:
    """The account the kernel runs relui as: its real uid's name, which no environment variable changes.

    Not $RELUI_USER, $SUDO_USER or $USER, which anyone sets; under sudo it
    is root. A uid with no passwd entry (a bare container) is ``uid N``,
    which no ``[roles]`` line names.
    """
    uid = os.getuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"
