"""Cell palettes (how each cell value looks) and the PaletteBar that picks a value.

The ARC palette is the standard one every ARC tool uses (fchollet/ARC `apps/css/common.css`).
A fill of None means "the theme's blank-cell colour", so Sudoku grids follow light/dark; mazes keep
dark walls on light open cells in both themes.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QToolButton, QWidget

ARC_COLORS = (
    "#000000", "#0074D9", "#FF4136", "#2ECC40", "#FFDC00",
    "#AAAAAA", "#F012BE", "#FF851B", "#7FDBFF", "#870C25",
)
ARC_NAMES = ("black", "blue", "red", "green", "yellow", "grey", "fuchsia", "orange", "teal", "brown")


@dataclass(frozen=True)
class CellPalette:
    """How each cell value is drawn: a fill (hex, or None for the theme's blank cell) and a label.

    `labels_always`: draw the labels in every cell (Sudoku digits, maze S/G); otherwise only when the
    view's "show numbers" overlay is on (ARC).
    """

    name: str
    fills: tuple[str | None, ...]
    labels: tuple[str, ...]
    names: tuple[str, ...]
    labels_always: bool = False

    def __len__(self) -> int:
        return len(self.fills)

    def fill(self, value: int) -> str | None:
        return self.fills[value] if 0 <= value < len(self.fills) else "#FF00FF"  # magenta: out of range

    def label(self, value: int) -> str:
        return self.labels[value] if 0 <= value < len(self.labels) else "?"


ARC_PALETTE = CellPalette("arc", ARC_COLORS, tuple("0123456789"), ARC_NAMES)

# Maze values index the HRM/TRM charset "# SGo": wall, open, start, goal, path. Open cells have a fixed
# light fill, not the theme's blank cell: on a dark theme that made walls lighter than the open cells.
MAZE_OPEN_FILL = "#ECEEF1"
MAZE_PALETTE = CellPalette(
    "maze",
    ("#3C3F46", MAZE_OPEN_FILL, "#2ECC40", "#FF4136", "#FFDC00"),
    ("", "", "S", "G", ""),
    ("wall", "open", "start S", "goal G", "path"),
    labels_always=True,
)


def digit_palette(n: int) -> CellPalette:
    """Blank plus digits 1..n, all on the theme's cell colour (Sudoku)."""
    labels = ("",) + tuple(str(d) for d in range(1, n + 1))
    return CellPalette(f"digits{n}", (None,) * (n + 1), labels, ("blank",) + labels[1:], labels_always=True)


def text_color_on(fill: QColor) -> QColor:
    """Black or white, whichever reads better on `fill` (WCAG relative luminance)."""
    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    lum = 0.2126 * lin(fill.redF()) + 0.7152 * lin(fill.greenF()) + 0.0722 * lin(fill.blueF())
    return QColor("#000000") if lum > 0.22 else QColor("#FFFFFF")


class _Swatch(QToolButton):
    """One value of the palette: its colour, its key number, checked when current."""

    def __init__(self, palette: CellPalette, value: int, key: str, parent: QWidget | None = None):
        super().__init__(parent)
        self._fill = palette.fill(value)
        self._label = (palette.label(value) or key) if palette.labels_always else key
        if not self._label and palette.name.startswith("digits"):
            self._label = "\u00d7"  # the Sudoku pad's blank: clears the cell
        self.setCheckable(True)
        self.setAutoRaise(True)
        self.setToolTip(f"{palette.names[value]}" + (f"  (key {key})" if key else ""))
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(30, 30)

    def paintEvent(self, event) -> None:  # noqa: ARG002 - Qt signature
        p = QPainter(self)
        r = self.rect().adjusted(3, 3, -3, -3)
        fill = QColor(self._fill) if self._fill else self.palette().base().color()
        p.fillRect(r, fill)
        pen = QPen(self.palette().highlight().color() if self.isChecked() else self.palette().mid().color())
        pen.setWidth(3 if self.isChecked() else 1)
        p.setPen(pen)
        p.drawRect(r.adjusted(0, 0, -1, -1))
        if self._label:
            p.setPen(text_color_on(fill))
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, self._label)
        p.end()


class PaletteBar(QWidget):
    """A row of swatches, one per value; clicking one (or pressing its key in the editor) picks it."""

    value_picked = Signal(int)

    def __init__(self, palette: CellPalette, values: tuple[int, ...] | None = None,
                 keys: dict[int, str] | None = None, show_current: bool = True, parent: QWidget | None = None):
        """`keys` names the key that picks each value (shown on the swatch); ARC: the value itself.
        `show_current=False` makes a plain keypad (the Sudoku digits), with no value marked current."""
        super().__init__(parent)
        self._values = tuple(range(len(palette))) if values is None else values
        if keys is None:
            keys = {v: str(v) for v in self._values} if palette.name == "arc" else {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self._swatches: dict[int, _Swatch] = {}
        for value in self._values:
            key = keys.get(value, "")
            swatch = _Swatch(palette, value, key, self)
            swatch.setCheckable(show_current)
            swatch.clicked.connect(lambda _=False, v=value: self._on_swatch_clicked(v))
            layout.addWidget(swatch)
            self._swatches[value] = swatch
        self._current = self._values[0]
        self.set_current(self._current)

    @property
    def current(self) -> int:
        return self._current

    @property
    def values(self) -> tuple[int, ...]:
        return self._values

    def set_current(self, value: int) -> None:
        """Show `value` as the current one (no signal)."""
        if value not in self._swatches:
            return
        self._current = value
        for v, swatch in self._swatches.items():
            swatch.setChecked(v == value)

    def _on_swatch_clicked(self, value: int) -> None:
        self.set_current(value)
        self.value_picked.emit(value)
