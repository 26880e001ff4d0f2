"""TRM Lab, the desktop app (PySide6). Imports trm_engine; the engine never imports this package."""

from . import qt_compat  # noqa: F401  (must run before the app makes its first Qt calls)
