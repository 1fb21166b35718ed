"""The garbage collector during start-up: held off until the first full frame, then the start-up heap frozen.

Starting the TUI allocates the whole of Textual, relui's modules, the
widgets and the first readings: hundreds of thousands of objects that live
as long as the app. Python's collector walks them again and again while
they are made (a full collection alone was 15 ms, a fifth of what relui
adds to a bare Textual app's first frame) and finds almost no garbage.

So the TUI path holds collections off from the start of ``main`` and, once
every column has its first reading and that frame has reached the terminal
(``SETTLE_AFTER_SECONDS`` later), collects once, freezes what exists (``gc.freeze``: a full collection from then on
walks only what was made since; with 500 pods a color that was a 25-45 ms
event-loop pause every 20 s) and turns the collector back on. A start that
never gets there (a source that hangs) still gets its collector back after
``HOLD_LIMIT_SECONDS``; a CLI command gets it back as soon as its arguments
are parsed.
"""

from __future__ import annotations

import gc

HOLD_LIMIT_SECONDS = 5.0
# After the first full frame: long enough for its last repaints to reach the terminal first.
SETTLE_AFTER_SECONDS = 1.0

_held = False
_frozen = False


def hold() -> None:
    """Stop automatic collections (start-up); ``release`` or ``settle`` undoes it."""
    global _held
    if gc.isenabled():
        gc.disable()
        _held = True


def release() -> None:
    """Collections back on, without freezing (a CLI command, or the app ending)."""
    global _held
    if _held:
        _held = False
        gc.enable()


def settle() -> None:
    """Once per process: collect the start-up garbage, freeze what lives on, collections back on."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()
    release()


def held() -> bool:
    """True while start-up holds collections off."""
    return _held
