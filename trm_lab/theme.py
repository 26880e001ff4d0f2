"""Light and dark themes. "system" follows the platform's colour scheme (Qt >= 6.5) and changes with
it; "light" and "dark" override it. Widgets that paint themselves read their QPalette, so they follow
along; code that needs the scheme by name (plots) listens to ThemeManager.theme_changed.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

THEMES = ("system", "light", "dark")

# (background, foreground) for plots, by effective scheme.
PLOT_COLORS = {"light": ("#FFFFFF", "#202020"), "dark": ("#1E1F22", "#D8D8D8")}


def dark_palette() -> QPalette:
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#2B2D30", QPalette.ColorRole.WindowText: "#DFE1E5",
        QPalette.ColorRole.Base: "#1E1F22", QPalette.ColorRole.AlternateBase: "#26282B",
        QPalette.ColorRole.ToolTipBase: "#3C3F41", QPalette.ColorRole.ToolTipText: "#DFE1E5",
        QPalette.ColorRole.PlaceholderText: "#8C8F94", QPalette.ColorRole.Text: "#DFE1E5",
        QPalette.ColorRole.Button: "#393B40", QPalette.ColorRole.ButtonText: "#DFE1E5",
        QPalette.ColorRole.BrightText: "#FF6B68", QPalette.ColorRole.Light: "#4E5157",
        QPalette.ColorRole.Midlight: "#43454A", QPalette.ColorRole.Mid: "#5A5D63",
        QPalette.ColorRole.Dark: "#1B1C1F", QPalette.ColorRole.Shadow: "#000000",
        QPalette.ColorRole.Highlight: "#3574F0", QPalette.ColorRole.HighlightedText: "#FFFFFF",
        QPalette.ColorRole.Link: "#589DF6", QPalette.ColorRole.LinkVisited: "#B189F5",
    }
    for role, color in roles.items():
        pal.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6F737A"))
    return pal


def light_palette() -> QPalette:
    pal = QStyleFactory.create("Fusion").standardPalette()
    pal.setColor(QPalette.ColorRole.Mid, QColor("#B8B8B8"))
    pal.setColor(QPalette.ColorRole.PlaceholderText, QColor("#7A7A7A"))
    return pal


def system_scheme() -> str:
    """'dark' or 'light' as the platform reports it ('light' when it says nothing)."""
    hints = QApplication.styleHints()
    scheme = hints.colorScheme() if hasattr(hints, "colorScheme") else Qt.ColorScheme.Unknown
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


class ThemeManager(QObject):
    """Applies a theme to the application and tells listeners the effective scheme."""

    theme_changed = Signal(str)  # "light" or "dark"

    def __init__(self, app: QApplication, theme: str = "system"):
        super().__init__(app)
        self._app = app
        self._theme = "system"
        self._scheme = ""
        app.setStyle("Fusion")  # the same look everywhere, and one that honours our palettes
        hints = app.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(self._on_style_hints_color_scheme_changed)
        self.set_theme(theme)

    @property
    def theme(self) -> str:
        return self._theme

    @property
    def scheme(self) -> str:
        """The effective scheme, 'light' or 'dark'."""
        return self._scheme

    def set_theme(self, theme: str) -> None:
        if theme not in THEMES:
            raise ValueError(f"unknown theme {theme!r}; themes are {', '.join(THEMES)}")
        self._theme = theme
        self._apply()

    def _apply(self) -> None:
        scheme = system_scheme() if self._theme == "system" else self._theme
        self._app.setPalette(dark_palette() if scheme == "dark" else light_palette())
        if scheme != self._scheme:
            self._scheme = scheme
            self.theme_changed.emit(scheme)

    def _on_style_hints_color_scheme_changed(self, _scheme) -> None:
        if self._theme == "system":
            self._apply()


def icon(name: str) -> QIcon:
    path = Path(__file__).resolve().parent.parent / "resources" / "icons" / f"{name}.svg"
    if not path.exists():
        from importlib import resources
        path = Path(str(resources.files("trm_resources") / "icons" / f"{name}.svg"))
    return QIcon(str(path)) if path.exists() else QIcon()
