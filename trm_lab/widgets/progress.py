"""ProgressIndicator: the status bar's "working on X [=====  ] [Cancel]" for background jobs."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget


class ProgressIndicator(QWidget):
    """Shows one running job: a label, a bar (busy when the total is unknown) and a cancel button."""

    cancel_clicked = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(180)
        self.bar.setMaximumHeight(16)
        self.bar.setTextVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop this job at its next step")
        self.cancel_button.clicked.connect(self.cancel_clicked)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.hide()

    def set_busy(self, text: str) -> None:
        """Working, total unknown."""
        self.label.setText(text)
        self.bar.setRange(0, 0)
        self.cancel_button.setEnabled(True)
        self.show()

    def set_progress(self, done: int, total: int, text: str) -> None:
        self.label.setText(text)
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(min(done, total))
        self.show()

    def set_cancelling(self) -> None:
        self.label.setText(self.label.text() + " (cancelling\u2026)")
        self.cancel_button.setEnabled(False)

    def clear(self) -> None:
        self.hide()
