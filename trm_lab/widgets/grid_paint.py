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
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QPaintEngine, QPainter, QTransform

from .cell_image import blended_cells, draw_cell_colors, shade_levels
from .grid_geometry import GridColors, GridGeometry, GridState, layout
from .grid_marks import fill_rects, outline_width, paint_decorations
from .palette import text_color_on


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
