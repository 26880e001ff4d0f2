"""Preferences: the theme and the folders the app writes to (platformdirs defaults, overridable)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from . import dialogs, settings
from .theme import THEMES

_LABELS = {"data": "App data", "datasets": "Datasets", "puzzles": "Saved puzzles", "runs": "Training runs",
           "cache": "Cache"}


class PreferencesDialog(QDialog):
    """Theme and folders. Changes apply when the dialog is accepted."""

    theme_picked = Signal(str)

    def __init__(self, theme: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)

        look = QGroupBox("Appearance")
        form = QFormLayout(look)
        self.theme_box = QComboBox()
        for name in THEMES:
            self.theme_box.addItem("Follow system" if name == "system" else name.capitalize(), name)
        self.theme_box.setCurrentIndex(THEMES.index(theme))
        form.addRow("Theme", self.theme_box)
        layout.addWidget(look)

        folders = QGroupBox("Folders")
        form = QFormLayout(folders)
        self.path_edits: dict[str, QLineEdit] = {}
        current = settings.locations()
        for f in fields(settings.Locations):
            edit = QLineEdit(str(getattr(current, f.name)))
            edit.setObjectName(f"path_{f.name}")
            self.path_edits[f.name] = edit
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            for text, tip, slot in (("\u2026", "Choose a folder", self._on_browse_clicked),
                                    ("Reset", "Back to the default", self._on_reset_clicked),
                                    ("Show", "Open in the file manager", self._on_show_clicked)):
                button = QToolButton()
                button.setText(text)
                button.setToolTip(tip)
                button.clicked.connect(lambda _=False, n=f.name, s=slot: s(n))
                row.addWidget(button)
            form.addRow(_LABELS[f.name], row)
        layout.addWidget(folders)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _on_browse_clicked(self, name: str) -> None:
        path = dialogs.ask_directory(self, f"{_LABELS[name]} folder", Path(self.path_edits[name].text()))
        if path is not None:
            self.path_edits[name].setText(str(path))

    def _on_reset_clicked(self, name: str) -> None:
        self.path_edits[name].setText(str(getattr(settings.default_locations(), name)))

    def _on_show_clicked(self, name: str) -> None:
        path = Path(self.path_edits[name].text())
        path.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    def accept(self) -> None:
        for name, edit in self.path_edits.items():
            text = edit.text().strip()
            settings.set_location(name, Path(text) if text else None)
        theme = self.theme_box.currentData()
        self.theme_picked.emit(theme)
        super().accept()
