"""Kept for importers not yet moved: the release state lives in ``release_state``."""

from relui.services.release_state import ReleaseState, release_state

__all__ = ["ReleaseState", "release_state"]
