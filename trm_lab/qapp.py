"""The QApplication with TRM Lab's identity (organisation, name, desktop file), made once per process.

Its own module so that the app's entry point, the self-test, the screenshots and the benchmarks all
make the application the same way without importing one another.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QApplication

from . import settings


def create_app(argv: Sequence[str]) -> QApplication:
    app = QApplication.instance() or QApplication(list(argv))
    app.setOrganizationName(settings.ORGANIZATION)
    app.setApplicationName(settings.APPLICATION)
    app.setApplicationDisplayName("TRM Lab")
    app.setDesktopFileName("trm-lab")
    return app
