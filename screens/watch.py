"""Open screens follow what other relui instances write: a cheap look at the state dir every few seconds.

A sign-off, tick or action made elsewhere lands in the journal (and the
checklist files) of the shared state dir. ``StateWatch`` stats those files
in a thread worker and calls back only when their size or mtime changed, so
a quiet state dir costs one ``stat`` per file and no reload.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.screen import Screen

WATCH_SECONDS = 3.0

Fingerprint = tuple[tuple[str, int, int], ...]


def fingerprint(paths: list[Path]) -> Fingerprint:
    """Size and mtime of each path that exists (a directory: of the files right in it)."""
    seen: list[tuple[str, int, int]] = []
    for path in paths:
        try:
            files = sorted(path.iterdir()) if path.is_dir() else [path]
        except OSError:
            continue
        for file in files:
            try:
                stat = file.stat()
            except OSError:
                continue
            seen.append((str(file), stat.st_size, stat.st_mtime_ns))
    return tuple(seen)


class StateWatch:
    """Calls ``changed`` on the screen's event loop when the watched files change."""

    def __init__(self, screen: Screen[None], paths: list[Path], changed: Callable[[], object]) -> None:
        self.screen = screen
        self.paths = paths
        self.changed = changed
        self.last: Fingerprint | None = None

    def start(self) -> None:
        """Take the first fingerprint now, then look every few seconds."""
        self.last = fingerprint(self.paths)
        self.screen.set_interval(WATCH_SECONDS, self._look)

    def _look(self) -> None:
        self.screen.run_worker(
            self._stat, thread=True, exclusive=True, exit_on_error=False, group="state-watch", description="state watch"
        )

    def _stat(self) -> None:
        now = fingerprint(self.paths)
        if now != self.last:
            self.last = now
            self.screen.app.call_from_thread(self.changed)
