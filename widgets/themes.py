"""relui's own themes: high contrast, and a colour-blind-safe palette.

Each theme also sets ``relui-blue`` and ``relui-green``, the colors the pod
summaries paint the color names in; the default themes leave them to the
terminal's own blue and green. Colors never carry a meaning alone (see
``widgets.glyphs``).
"""

from __future__ import annotations

from textual.theme import Theme

COLOR_VARIABLES = {"relui-blue": "blue", "relui-green": "green"}

HIGH_CONTRAST = Theme(
    name="relui-high-contrast",
    primary="#ffff00",
    secondary="#00ffff",
    accent="#00ffff",
    warning="#ffff00",
    error="#ff6060",
    success="#00ff66",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#202020",
    dark=True,
    luminosity_spread=0.3,
    text_alpha=1.0,
    variables={
        "relui-blue": "#66b3ff",
        "relui-green": "#33ff66",
        "border": "#ffffff",
        "text-muted": "#e0e0e0",
        "footer-key-foreground": "#ffff00",
    },
)

# Okabe-Ito: sky blue and bluish green differ in lightness; vermillion and yellow for error and warning.
COLORBLIND = Theme(
    name="relui-colorblind",
    primary="#56b4e9",
    secondary="#009e73",
    accent="#e69f00",
    warning="#f0e442",
    error="#d55e00",
    success="#009e73",
    foreground="#f0f0f0",
    background="#101418",
    surface="#161c22",
    panel="#242c34",
    dark=True,
    variables={"relui-blue": "#56b4e9", "relui-green": "#009e73"},
)

THEMES = (HIGH_CONTRAST, COLORBLIND)
