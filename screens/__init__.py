"""One Textual Screen per module; installed as ``relui.screens``."""
