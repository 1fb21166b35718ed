"""One Textual Screen per module; installed as ``relui.screens``."""

from pathlib import Path

# The CSS of every screen but the dashboard, read when the first of them opens (each names it as CSS_PATH).
SCREENS_CSS = Path(__file__).with_name("screens.tcss")
