"""One reusable widget per module; installed as ``relui.widgets``."""
