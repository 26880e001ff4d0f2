"""Painting a grid of cells: the one routine shared by the grid widgets, the task view, the library
thumbnails and the PNG/SVG exporters.

Everything is laid out in *device* pixels with integer cell sizes and filled rectangles (no antialiasing),
so cells and lines stay crisp at any zoom and at any device pixel ratio. On a raster device (a widget, a
PNG) the cell colours and translucent layers are blended in numpy and drawn as one device-pixel image
(`draw_cell_colors`): exactly the rectangles it replaces at a fraction of the cost. Vector output (SVG)
keeps the rectangles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QFont, QPaintEngine, QPainter, QPalette, QTransform

from .cell_image import blended_cells, draw_cell_colors, shade_levels
from .grid_marks import fill_rects, outline_width, paint_decorations
from .palette import ARC_PALETTE, CellPalette, text_color_on


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


def device_scale(painter: QPainter) -> float:
    """Switch `painter` to device pixels and return the device pixel ratio it was drawing at."""
    scale = painter.deviceTransform().m11() or 1.0
    if scale != 1.0:
        painter.setWorldTransform(QTransform.fromScale(1 / scale, 1 / scale), True)
    return scale


def paint_grid(painter: QPainter, state: GridState, colors: GridColors, area: QRect,
               scale: float = 1.0, geometry: GridGeometry | None = None) -> GridGeometry:
    """Paint `state` into `area` (device pixels) and return the geometry used."""
    geo = geometry or layout(state.shape, area, state.box, scale)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    engine = painter.paintEngine()
    if engine is not None and engine.type() == QPaintEngine.Type.Raster:
        # The outline joins the cell image unless a selection must lie between them (editors only).
        inline = state.outline is not None and state.selection is None
        outline = (state.outline, colors.outline, outline_width(scale)) if inline else None
        draw_cell_colors(painter, blended_cells(state, colors), geo, outline)
        paint_lines(painter, geo, colors)
        _paint_selection(painter, state, colors, geo)
        if inline:
            state = replace(state, outline=None)
    else:
        _paint_fills(painter, state, colors, geo)
        paint_lines(painter, geo, colors)
        _paint_masks(painter, state, colors, geo)
    _paint_text(painter, state, colors, geo, scale)
    paint_decorations(painter, state, colors, geo, scale)
    painter.restore()
    return geo


def paint_lines(painter: QPainter, geo: GridGeometry, colors: GridColors) -> None:
    """The lines: they cover the gaps between cells; box lines are wider gaps, drawn over the thin ones."""
    for is_box in (False, True):
        fill_rects(painter, [rect for rect, box in geo.gap_rects if box == is_box],
                    colors.box_line if is_box else colors.line)


def _cells(mask: np.ndarray | None) -> list[tuple[int, int]]:
    if mask is None:
        return []
    return [(int(r), int(c)) for r, c in zip(*np.nonzero(mask))]


def _paint_fills(painter: QPainter, state: GridState, colors: GridColors, geo: GridGeometry) -> None:
    """The commonest value floods the grid in one fill (ARC backgrounds, blank Sudoku cells); every
    other value is one drawRects call over its cells."""
    values = state.grid.ravel().tolist()
    counts: dict[int, list[QRect]] = {}
    for rect, value in zip(geo.rects, values):
        counts.setdefault(value, []).append(rect)
    background = max(counts, key=lambda v: len(counts[v]))

    def color(value: int) -> QColor:
        fill = state.palette.fill(value)
        return QColor(fill) if fill else colors.cell

    painter.fillRect(geo.rect, color(background))
    painter.setPen(Qt.PenStyle.NoPen)
    for value, rects in counts.items():
        if value != background:
            painter.setBrush(color(value))
            painter.drawRects(rects)
    painter.setBrush(Qt.BrushStyle.NoBrush)


def _translucent(color: QColor, alpha: float) -> QColor:
    c = QColor(color)
    c.setAlphaF(max(0.0, min(1.0, alpha)))
    return c


def _cell_rects(geo: GridGeometry, mask: np.ndarray | None) -> list[QRect]:
    """The rectangles of the cells where `mask` is true (row-major)."""
    if mask is None:
        return []
    rects = geo.rects
    return [rects[i] for i in np.flatnonzero(np.asarray(mask).ravel())]


def _paint_masks(painter: QPainter, state: GridState, colors: GridColors, geo: GridGeometry) -> None:
    fill_rects(painter, _cell_rects(geo, state.tint), _translucent(colors.tint, 0.45))
    if state.shading is not None:
        # One call per shade level (24 levels of alpha), not one per cell.
        level = shade_levels(state.shading).ravel()
        order = np.argsort(level, kind="stable")
        bounds = np.flatnonzero(np.diff(level[order])) + 1
        rects = geo.rects
        for run in np.split(order, bounds):
            if len(run) and level[run[0]] > 0:
                shade = QColor(colors.shade)
                shade.setAlphaF(level[run[0]] / 24)
                fill_rects(painter, [rects[i] for i in run], shade)
    fill_rects(painter, _cell_rects(geo, state.highlight), _translucent(colors.conflict, 0.25))
    _paint_selection(painter, state, colors, geo)


def _paint_selection(painter: QPainter, state: GridState, colors: GridColors, geo: GridGeometry) -> None:
    if state.selection is not None:
        r0, c0, r1, c1 = state.selection
        rect = geo.cell_rect(r0, c0).united(geo.cell_rect(r1, c1))
        painter.fillRect(rect, _translucent(colors.selection, 0.30))


def _font(px: int, bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(max(px, 1))
    font.setBold(bold)
    return font


def _paint_text(painter: QPainter, state: GridState, colors: GridColors, geo: GridGeometry,
                scale: float) -> None:
    pal, grid = state.palette, state.grid
    if geo.cell < 7 * scale:  # thumbnails: no text; labelled cells on a blank fill get a dot of ink
        if pal.labels_always:
            labelled = [i for i, v in enumerate(grid.ravel().tolist()) if pal.label(v) and not pal.fill(v)]
            dot = max(1, geo.cell // 2)
            for i in labelled:
                r = geo.rects[i]
                painter.fillRect(QRect(r.x() + (r.width() - dot) // 2, r.y() + (r.height() - dot) // 2, dot, dot),
                                 colors.text)
        return
    show = pal.labels_always or state.show_numbers
    if not show and state.text is None:
        if state.marks is not None:
            _paint_marks(painter, state, colors, geo, _font(int(geo.cell * 0.28)))
        return
    normal, bold = _font(int(geo.cell * 0.6)), _font(int(geo.cell * 0.6), bold=True)
    small = _font(int(geo.cell * 0.28))
    for r in range(geo.rows):
        for c in range(geo.cols):
            value = int(grid[r, c])
            text = state.text[r, c] if state.text is not None and state.text[r, c] is not None else (
                pal.label(value) if show else "")
            if not text:
                continue
            rect = geo.cell_rect(r, c)
            fill = pal.fill(value)
            fixed = state.fixed is not None and bool(state.fixed[r, c])
            if state.highlight is not None and state.highlight[r, c]:
                color = colors.conflict
            elif fill:
                color = text_color_on(QColor(fill))
            else:
                color = colors.given if fixed or not pal.name.startswith("digits") else colors.entry
            painter.setFont(bold if fixed else normal)
            painter.setPen(color)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(text))
    if state.marks is not None:
        _paint_marks(painter, state, colors, geo, small)


def _paint_marks(painter: QPainter, state: GridState, colors: GridColors, geo: GridGeometry,
                 font: QFont) -> None:
    """Pencil marks: digit d in slot d of a k x k mini-grid (3x3 for 9x9 Sudoku, 2x2 for 4x4)."""
    n = len(state.palette) - 1
    k = max(1, math.ceil(math.sqrt(n)))
    painter.setFont(font)
    painter.setPen(colors.mark)
    for r, c in _cells((state.marks != 0) & (state.grid == 0)):
        bits, rect = int(state.marks[r, c]), geo.cell_rect(r, c)
        sub = geo.cell / k
        for d in range(1, n + 1):
            if bits & (1 << d):
                i = d - 1
                slot = QRect(int(rect.x() + (i % k) * sub), int(rect.y() + (i // k) * sub), int(sub), int(sub))
                painter.drawText(slot, Qt.AlignmentFlag.AlignCenter, str(d))


def with_grid(state: GridState, grid: np.ndarray) -> GridState:
    """A copy of `state` showing `grid`, dropping layers whose shape no longer fits."""
    fits = {name: getattr(state, name) for name in ("fixed", "marks", "text", "shading", "highlight",
                                                      "tint", "outline", "verdict")}
    fits = {k: (v if v is not None and v.shape == grid.shape else None) for k, v in fits.items()}
    return replace(state, grid=grid, cursor=None, selection=None, **fits)
