"""What the TUI imports once its first frame is on screen, so the first key press does not wait for it.

The first frame waits only for what draws the dashboard and reads the
environments; an action (the release service, its guards and plans, the
modals, the bake watch) and the screens opened from the dashboard import on
first use. ``warm`` loads them from a timer ``WARM_SECONDS`` after the
dashboard mounts: one block of the event loop of about 20-25 ms (keep it
under 40 ms), when the first frame is long on screen and no key is likely
waiting. Nothing is built or read here, only modules loaded.
"""

from __future__ import annotations

import importlib

# The screens opened from either dashboard (Enter, k, g, j, ?); a refusal's words (``remedies``) read two of them.
SCREEN_MODULES = (
    "relui.screens.checklist",
    "relui.screens.readiness",
    "relui.screens.environment",
    "relui.screens.journal",
    "relui.screens.help",
    # The : and / lines (widgets/command_line.py) and what : understands.
    "relui.screens.command_mode",
    "relui.widgets.command_line",
)
# What an action, its modals or a bake breach imports on first use, on the dashboard that acts.
ACTION_MODULES = (
    "relui.services.release",
    "relui.services.bake_watch",
    "relui.services.intervene",
    "relui.screens.checking",
    "relui.screens.choice",
    "relui.screens.confirm",
    "relui.widgets.revision_table",
    "hashlib",  # the SHA-256 that chains the journal record an action writes (OpenSSL: 3.5 ms to load)
)
# Well after the first full frame (the columns read in well under a second), before a first key is likely.
WARM_SECONDS = 1.5


def warm(modules: tuple[str, ...]) -> None:
    """Import ``modules`` now (those already loaded cost nothing)."""
    for name in modules:
        importlib.import_module(name)
