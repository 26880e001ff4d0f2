"""What a grid is drawn from: its state (cells, marks, layers), its colours and its geometry in device
pixels, and the layout that fits a grid into a rectangle with integer cells. grid_paint draws from these;
cell_image and grid_marks read them, so they live apart from the painter."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QColor, QPalette

from .palette import ARC_PALETTE, CellPalette


@dataclass(frozen=True)
class GridColors:
    """The non-palette colours of a grid, normally derived from the widget's QPalette (theme)."""

    background: QColor
    cell: QColor  # blank cell (fill None)
    line: QColor
    box_line: QColor
    text: QColor
    given: QColor  # fixed cells (Sudoku givens)
    entry: QColor  # user entries
    mark: QColor  # pencil marks
    cursor: QColor
    selection: QColor
    conflict: QColor = field(default_factory=lambda: QColor("#E53935"))
    outline: QColor = field(default_factory=lambda: QColor("#FF9800"))
    right: QColor = field(default_factory=lambda: QColor("#2E7D32"))
    wrong: QColor = field(default_factory=lambda: QColor("#C62828"))
    shade: QColor = field(default_factory=lambda: QColor("#808080"))
    tint: QColor = field(default_factory=lambda: QColor("#FFB300"))

    @classmethod
    def from_palette(cls, pal: QPalette) -> GridColors:
        dark = pal.window().color().lightness() < 128
        line = pal.mid().color()
        return cls(
            background=pal.window().color(),
            cell=pal.base().color(),
            line=line,
            box_line=pal.text().color() if not dark else QColor("#B0B0B0"),
            text=pal.text().color(),
            given=pal.text().color(),
            entry=QColor("#64B5F6") if dark else QColor("#1565C0"),
            mark=pal.placeholderText().color(),
            cursor=pal.highlight().color(),
            selection=pal.highlight().color(),
        )


@dataclass
class GridState:
    """What a grid view shows: the grid plus optional per-cell layers (all (H, W) arrays or None)."""

    grid: np.ndarray = field(default_factory=lambda: np.zeros((3, 3), dtype=np.int64))
    palette: CellPalette = ARC_PALETTE
    box: tuple[int, int] | None = None  # (rows, cols) of a Sudoku box: thicker lines between boxes
    fixed: np.ndarray | None = None  # bool: givens, drawn bold in `given` colour
    marks: np.ndarray | None = None  # int bitmask: bit d set = pencil mark d
    text: np.ndarray | None = None  # object array of str: replaces the value labels where not None
    shading: np.ndarray | None = None  # float 0..1: translucent shade strength (e.g. 1 - confidence)
    highlight: np.ndarray | None = None  # bool: conflicts, tinted red with red text
    tint: np.ndarray | None = None  # bool: a secondary tint (e.g. the maze's shortest path)
    outline: np.ndarray | None = None  # bool: outlined cells (e.g. changed since the previous step)
    verdict: np.ndarray | None = None  # int: +1 right (tick), -1 wrong (cross), 0 nothing
    show_numbers: bool = False  # draw value labels even for palettes that hide them (ARC)
    cursor: tuple[int, int] | None = None
    selection: tuple[int, int, int, int] | None = None  # (r0, c0, r1, c1) inclusive, normalised

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.grid.shape[0]), int(self.grid.shape[1])


@dataclass(frozen=True)
class GridGeometry:
    """Where each cell sits, in device pixels. xs/ys are the left/top edges of the cell interiors."""

    xs: tuple[int, ...]
    ys: tuple[int, ...]
    cell: int
    line: int
    rect: QRect  # outer rectangle including the border lines
    box_line: int = 0
    box: tuple[int, int] | None = None

    @property
    def rows(self) -> int:
        return len(self.ys)

    @property
    def cols(self) -> int:
        return len(self.xs)

    def cell_rect(self, r: int, c: int) -> QRect:
        return QRect(self.xs[c], self.ys[r], self.cell, self.cell)

    @cached_property
    def gap_rects(self) -> list[tuple[QRect, bool]]:
        """The lines: every gap between (and around) the cells as (rect, is_box_line)."""
        out = []
        box_r, box_c = self.box or (0, 0)
        r = self.rect
        edges = [r.x()] + [x + self.cell for x in self.xs]
        for i, x in enumerate(self.xs + (r.x() + r.width(),)):
            if x > edges[i]:
                out.append((QRect(edges[i], r.y(), x - edges[i], r.height()), bool(box_c) and i % box_c == 0))
        edges = [r.y()] + [y + self.cell for y in self.ys]
        for i, y in enumerate(self.ys + (r.y() + r.height(),)):
            if y > edges[i]:
                out.append((QRect(r.x(), edges[i], r.width(), y - edges[i]), bool(box_r) and i % box_r == 0))
        return sorted(out, key=lambda item: item[1])  # box lines last, over the thin ones

    @cached_property
    def rects(self) -> list[QRect]:
        """Every cell's rectangle, row-major; built once per geometry (making QRects is the slow part)."""
        return [QRect(x, y, self.cell, self.cell) for y in self.ys for x in self.xs]

    @cached_property
    def _memo(self) -> dict:
        return {}

    def per_cell(self, key: object, build) -> list:
        """`build(rect)` for every cell (row-major), made once per geometry (outline bars, verdict marks)."""
        if key not in self._memo:
            self._memo[key] = [build(rect) for rect in self.rects]
        return self._memo[key]

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        """The cell under device point (x, y), the lines counting as the cell right/below them."""
        if not self.rect.contains(QPoint(int(x), int(y))):
            return None
        c = int(np.searchsorted(self.xs, x + self.line, side="right")) - 1
        r = int(np.searchsorted(self.ys, y + self.line, side="right")) - 1
        return min(max(r, 0), self.rows - 1), min(max(c, 0), self.cols - 1)


def _gaps(n: int, box: int | None, line: int, box_line: int) -> list[int]:
    if box:
        return [box_line if i % box == 0 else line for i in range(n + 1)]
    return [line] * (n + 1)


def layout(shape: tuple[int, int], area: QRect, box: tuple[int, int] | None = None,
           scale: float = 1.0, cell: int | None = None) -> GridGeometry:
    """Fit a grid of `shape` into `area` (device pixels) centred, with integer cells.

    `scale` is the device pixel ratio (line widths grow with it); `cell` forces a cell size.
    Lines disappear when cells get tiny (thumbnails) so the colours stay readable.
    """
    rows, cols = max(shape[0], 1), max(shape[1], 1)
    line = max(1, round(scale))
    box_line = max(2, round(3 * scale)) if box else line
    for attempt in range(2):
        gx = _gaps(cols, box[1] if box else None, line, box_line)
        gy = _gaps(rows, box[0] if box else None, line, box_line)
        if cell is None:
            size = min((area.width() - sum(gx)) // cols, (area.height() - sum(gy)) // rows)
        else:
            size = cell
        if size >= 5 * line or attempt == 1 or line == 0:
            break
        line, box_line = 0, (box_line if box else 0)  # tiny cells: drop the thin lines
    size = max(size, 1)
    width, height = cols * size + sum(gx), rows * size + sum(gy)
    x0 = area.x() + max(0, (area.width() - width) // 2)
    y0 = area.y() + max(0, (area.height() - height) // 2)
    xs = tuple(int(v) for v in x0 + np.cumsum(gx[:-1]) + np.arange(cols) * size)
    ys = tuple(int(v) for v in y0 + np.cumsum(gy[:-1]) + np.arange(rows) * size)
    return GridGeometry(xs, ys, size, line, QRect(x0, y0, width, height), box_line, box)
