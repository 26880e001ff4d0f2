"""Every modal dialog the app opens goes through these small functions, so tests can replace them
(monkeypatch `trm_lab.dialogs.ask_open_path` etc.) and never block on a modal loop.
Callers must use them as `dialogs.ask_open_path(...)`, not import the names.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget


def ask_open_path(parent: QWidget | None, title: str, filters: str, start: Path | None = None) -> Path | None:
    """A file to open, or None if the user cancelled."""
    name, _ = QFileDialog.getOpenFileName(parent, title, str(start or ""), filters)
    return Path(name) if name else None


def ask_save_path(parent: QWidget | None, title: str, filters: str, start: Path | None = None) -> Path | None:
    """A file to write (the dialog confirms overwriting), or None if the user cancelled."""
    name, _ = QFileDialog.getSaveFileName(parent, title, str(start or ""), filters)
    return Path(name) if name else None


def ask_directory(parent: QWidget | None, title: str, start: Path | None = None) -> Path | None:
    name = QFileDialog.getExistingDirectory(parent, title, str(start or ""))
    return Path(name) if name else None


def ask_unsaved(parent: QWidget | None, what: str) -> str:
    """'save', 'discard' or 'cancel' for unsaved changes in `what`."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes",
                      f"{what} has unsaved changes. Save them first?",
                      QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                      | QMessageBox.StandardButton.Cancel, parent)
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    answer = box.exec()
    return {QMessageBox.StandardButton.Save: "save",
            QMessageBox.StandardButton.Discard: "discard"}.get(QMessageBox.StandardButton(answer), "cancel")


def ask_yes_no(parent: QWidget | None, title: str, text: str) -> bool:
    answer = QMessageBox.question(parent, title, text)
    return answer == QMessageBox.StandardButton.Yes


def ask_text(parent: QWidget | None, title: str, label: str, text: str = "") -> str | None:
    value, ok = QInputDialog.getText(parent, title, label, text=text)
    return value if ok else None


def ask_choice(parent: QWidget | None, title: str, label: str, items: list[str]) -> int | None:
    """The index of the item the user picks (the first is preselected), or None when cancelled."""
    value, ok = QInputDialog.getItem(parent, title, label, items, 0, False)
    return items.index(value) if ok and value in items else None


def show_error(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.critical(parent, title, text)


def show_info(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.information(parent, title, text)
