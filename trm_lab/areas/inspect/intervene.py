"""InterveneBar: the Inspect area's intervention controls. Click a cell of the input or of y, pick a
value; or add noise of a chosen scale to z; then Branch continues the recursion from the end of the
supervision step under the cursor, with the edits applied, as a branch shown beside the original.

It keeps the pending edits and the cell they go to; the panel turns picked values into tokens.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...widgets.palette import CellPalette, PaletteBar
from .data import Intervention

NO_TARGET = "click a cell of the input or y, then a value"


class InterveneBar(QWidget):
    """See the module docstring."""

    value_picked = Signal(int)  # a display value for the selected cell
    noise_clicked = Signal(float)  # add noise of this scale (x std of z) to z
    branch_clicked = Signal()
    clear_clicked = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.where = QLabel("Intervene:")
        self.where.setObjectName("intervene_where")
        self.target = QLabel(NO_TARGET)
        self.target.setObjectName("intervene_target")
        self.edits: list[Intervention] = []
        self.cell: tuple[str, int, int, int] | None = None  # (view, row, col, grid width) edits go to
        self._step = 0
        self._unavailable: str | None = None  # why intervening is not possible now ("" while a run goes)
        self.palette_bar: PaletteBar | None = None
        self._palette_slot = QHBoxLayout()
        self._palette_slot.setContentsMargins(0, 0, 0, 0)
        self.noise_scale = QDoubleSpinBox()
        self.noise_scale.setRange(0.01, 20.0)
        self.noise_scale.setSingleStep(0.1)
        self.noise_scale.setValue(0.5)
        self.noise_scale.setPrefix("\u00d7")
        self.noise_scale.setToolTip("Noise scale, in standard deviations of z")
        self.noise_button = QPushButton("Add z noise")
        self.noise_button.setObjectName("noise_button")
        self.pending = QLabel("")
        self.pending.setObjectName("intervene_pending")
        self.steps = QSpinBox()
        self.steps.setRange(1, 512)
        self.steps.setValue(16)
        self.steps.setPrefix("then ")
        self.steps.setSuffix(" step(s)")
        self.steps.setToolTip("Supervision steps the branch runs after the intervention")
        self.branch_button = QPushButton("Branch")
        self.branch_button.setObjectName("branch_button")
        self.branch_button.setToolTip("Continue the recursion from the end of the step under the cursor, with "
                                      "the edits applied; the branch appears beside the original (Ctrl+B)")
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Forget the pending edits")
        # Two rows, so the bar fits a 1024-pixel window with a 10-value palette (one row needed ~1280):
        # what to edit and its value above; noise, the pending edits and Branch below.
        self.target.setMinimumWidth(self.target.fontMetrics().horizontalAdvance(NO_TARGET) + 8)
        self.pending.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.pending.setMinimumWidth(80)
        top = self._top = QHBoxLayout()
        top.addWidget(self.where)
        top.addWidget(self.target)
        top.addLayout(self._palette_slot)
        top.addStretch(1)
        self.second_row = QWidget()
        bottom = QHBoxLayout(self.second_row)
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom.addWidget(self.noise_scale)
        bottom.addWidget(self.noise_button)
        bottom.addSpacing(12)
        bottom.addWidget(self.pending, 1)
        bottom.addWidget(self.steps)
        bottom.addWidget(self.branch_button)
        bottom.addWidget(self.clear_button)
        rows = QVBoxLayout(self)
        rows.setContentsMargins(6, 0, 6, 2)
        rows.setSpacing(2)
        rows.addLayout(top)
        rows.addWidget(self.second_row)
        self.noise_button.clicked.connect(self._on_noise_button_clicked)
        self.branch_button.clicked.connect(self.branch_clicked)
        self.clear_button.clicked.connect(self.clear)
        self.clear()

    def set_values(self, palette: CellPalette, values: tuple[int, ...]) -> None:
        """The values a cell can be set to (the family's palette)."""
        if self.palette_bar is not None:
            self.palette_bar.setParent(None)
            self.palette_bar.deleteLater()
        self.palette_bar = PaletteBar(palette, values, show_current=False)
        self.palette_bar.setObjectName("intervene_palette")
        self.palette_bar.value_picked.connect(self.value_picked)
        self.palette_bar.setVisible(not self._unavailable)
        self._palette_slot.addWidget(self.palette_bar)

    def set_step(self, step: int) -> None:
        """The supervision step the edits apply after (the one under the cursor)."""
        self._step = step
        self._show()

    def set_cell(self, view: str, row: int, col: int, width: int) -> None:
        self.cell = (view, row, col, width)
        self._show()

    def add_edit(self, token: int) -> bool:
        """Set the chosen cell to `token` (replacing an earlier edit of it); False without a cell."""
        if self.cell is None:
            return False
        view, r, c, width = self.cell
        position = r * width + c
        self.edits = [iv for iv in self.edits if (iv.what, iv.position) != (view, position)]
        self.edits.append(Intervention(view, position, int(token)))
        self._show()
        return True

    def _on_noise_button_clicked(self) -> None:
        self.edits.append(Intervention("z", scale=self.noise_scale.value(), seed=len(self.edits)))
        self._show()
        self.noise_clicked.emit(self.noise_scale.value())

    def clear(self) -> None:
        self.edits, self.cell = [], None
        self._show()
        self.clear_clicked.emit()

    def set_unavailable(self, why: str | None) -> None:
        """Disable the controls (None enables them again); with a reason, show it in their place."""
        self._unavailable = why
        self.setEnabled(why is None)
        self.second_row.setVisible(not why)
        # The reason gets the row, and never widens it (shown clipped, whole in the tooltip).
        policy = QSizePolicy.Policy.Ignored if why else QSizePolicy.Policy.Preferred
        self.target.setSizePolicy(policy, QSizePolicy.Policy.Preferred)
        self._top.setStretchFactor(self.target, 1 if why else 0)
        if self.palette_bar is not None:
            self.palette_bar.setVisible(not why)
        self.target.setToolTip(why or "")
        self._show()

    def describe(self, width: int) -> str:
        return ", ".join(iv.describe(width) for iv in self.edits) or "no edit"

    def _show(self) -> None:
        self.where.setText(f"Intervene after step {self._step}:" if self._step else "Intervene at the start:")
        if self._unavailable:
            self.target.setText(self._unavailable)
        elif self.cell is None:
            self.target.setText(NO_TARGET)
        else:
            view, r, c, _ = self.cell
            self.target.setText(f"{view} r{r + 1}c{c + 1} \u2192")
        width = self.cell[3] if self.cell else 1
        self.pending.setText("; ".join(iv.describe(width) for iv in self.edits) or "no edits yet")
        self.clear_button.setEnabled(bool(self.edits))
