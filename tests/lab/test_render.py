"""Rendering: every cell's pixels are exactly its palette colour, lines are present and crisp (no blended
pixels) at device pixel ratio 1 and 2, Sudoku box lines are thicker, exports match the screen."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor, QImage

from trm_lab.export import export_grid, export_task
from trm_lab.widgets.grid import GridView
from trm_lab.widgets.grid_paint import GridColors, GridState
from trm_lab.widgets.palette import ARC_COLORS, ARC_PALETTE, digit_palette


def rgb(image: QImage, x: int, y: int) -> str:
    return image.pixelColor(x, y).name().upper()


def arc_view(qtbot, shape=(30, 30), size=(400, 400)):
    grid = np.random.default_rng(1).integers(0, 10, shape)
    view = GridView(grid, ARC_PALETTE)
    qtbot.addWidget(view)
    view.resize(*size)
    return view, grid


def render(view: GridView, scale: float) -> QImage:
    image = QImage(int(view.width() * scale), int(view.height() * scale), QImage.Format.Format_RGB32)
    image.setDevicePixelRatio(scale)
    image.fill(QColor("#123456"))
    view.render(image)
    return image


def check_crisp_grid(view: GridView, grid: np.ndarray, image: QImage, scale: float) -> None:
    geo = view.geometry_for(scale)
    line = view.colors.line.name().upper()
    # Every pixel of every cell is exactly the ARC colour (no antialiasing, no scaling blur).
    for r in range(grid.shape[0]):
        for c in range(grid.shape[1]):
            rect = geo.cell_rect(r, c)
            expected = ARC_COLORS[grid[r, c]]
            for x, y in ((rect.left(), rect.top()), (rect.center().x(), rect.center().y()),
                         (rect.right(), rect.bottom())):
                assert rgb(image, x, y) == expected, (r, c, x, y)
    # Lines: the gap between two cells is the line colour, `line` device pixels wide.
    assert geo.line == round(scale)
    for c in range(1, grid.shape[1]):
        x = geo.xs[c] - 1
        assert rgb(image, x, geo.ys[0] + geo.cell // 2) == line
    # Nothing else appears in the grid: only palette colours and the line colour.
    region = image.copy(geo.rect)
    arr = np.frombuffer(region.constBits(), dtype=np.uint32).reshape(region.height(), -1)[:, :region.width()]
    colors = {f"#{v & 0xFFFFFF:06X}" for v in np.unique(arr)}
    assert colors <= set(ARC_COLORS) | {line}


def test_arc_grid_pixels_exact_with_lines(qtbot):
    view, grid = arc_view(qtbot)
    image = view.grab().toImage()
    check_crisp_grid(view, grid, image, 1.0)


def test_arc_grid_crisp_at_device_pixel_ratio_2(qtbot):
    view, grid = arc_view(qtbot, shape=(7, 11), size=(333, 251))  # odd sizes: no lucky rounding
    image = render(view, 2.0)
    assert image.width() == 666
    check_crisp_grid(view, grid, image, 2.0)
    geo1, geo2 = view.geometry_for(1.0), view.geometry_for(2.0)
    assert geo2.cell >= 2 * geo1.cell  # drawn at full device resolution, not upscaled


def test_sudoku_box_lines_are_thicker_and_givens_bold(qtbot, theme):
    grid = np.zeros((9, 9), dtype=int)
    grid[0, 0] = 5
    view = GridView(grid, digit_palette(9))
    view.set_box((3, 3))
    view.set_layer("fixed", grid > 0)
    qtbot.addWidget(view)
    view.resize(300, 300)
    image = view.grab().toImage()
    geo = view.geometry_for(1.0)
    assert geo.box_line > geo.line
    y = geo.ys[1] + geo.cell // 2
    box = view.colors.box_line.name().upper()
    thin = view.colors.line.name().upper()
    assert rgb(image, geo.xs[3] - 1, y) == box and rgb(image, geo.xs[3] - geo.box_line, y) == box
    assert rgb(image, geo.xs[1] - 1, y) == thin
    cell = image.copy(geo.cell_rect(0, 0))
    text = view.colors.given.name().upper()
    assert any(rgb(cell, x, y) == text for x in range(cell.width()) for y in range(cell.height()))


def test_overlays_draw_on_top(qtbot):
    view, grid = arc_view(qtbot, shape=(4, 4), size=(200, 200))
    outline = np.zeros((4, 4), dtype=bool)
    outline[1, 1] = True
    view.set_layer("outline", outline)
    view.set_cursor((2, 2))
    image = view.grab().toImage()
    geo = view.geometry_for(1.0)
    r = geo.cell_rect(1, 1)
    assert rgb(image, r.left(), r.top()) == view.colors.outline.name().upper()
    assert rgb(image, r.center().x(), r.center().y()) == ARC_COLORS[grid[1, 1]]
    r = geo.cell_rect(2, 2)
    assert rgb(image, r.left(), r.center().y()) == view.colors.cursor.name().upper()


def test_raster_cells_match_the_rectangles_they_replace(qapp):
    """A widget or PNG paints cells, translucent layers and outlines as one image; vector output (here a
    QPicture, like SVG) paints rectangles. Both must give the same pixels."""
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QPainter, QPicture

    from trm_lab.widgets.grid_paint import layout, paint_grid

    rng = np.random.default_rng(3)
    shape = (30, 30)
    state = GridState(grid=rng.integers(0, 10, shape), palette=ARC_PALETTE, shading=rng.random(shape),
                      tint=rng.random(shape) < 0.3, highlight=rng.random(shape) < 0.2,
                      outline=rng.random(shape) < 0.3)
    colors = GridColors(*(QColor(c) for c in ("#FFFFFF", "#FAFAFA", "#BDBDBD", "#212121", "#212121", "#212121",
                                              "#1565C0", "#9E9E9E", "#1E88E5", "#1E88E5")))
    geo = layout(shape, QRect(0, 0, 331, 331))

    def painted(via_picture: bool) -> np.ndarray:
        image = QImage(331, 331, QImage.Format.Format_RGB32)
        image.fill(QColor("#123456"))
        painter = QPainter(image)
        if via_picture:
            picture = QPicture()
            inner = QPainter(picture)
            paint_grid(inner, state, colors, geo.rect, 1.0, geo)
            inner.end()
            picture.play(painter)
        else:
            paint_grid(painter, state, colors, geo.rect, 1.0, geo)
        painter.end()
        bits = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(331, -1, 4)[:, :331, :3]
        return bits.astype(int)

    for selection in (None, (2, 3, 5, 7)):  # a selection lies between the cells and the outline
        state.selection = selection
        raster, vector = painted(False), painted(True)
        assert len(np.unique(raster.reshape(-1, 3), axis=0)) > 50  # shading levels really were painted
        assert np.abs(raster - vector).max() <= 2  # 8-bit blending rounds a little differently


def test_export_png_and_svg(tmp_path, qapp):
    grid = np.arange(12).reshape(3, 4) % 10
    colors = GridColors.from_palette(qapp.palette())
    png = tmp_path / "g.png"
    size = export_grid(png, GridState(grid=grid, palette=ARC_PALETTE), colors, cell_px=20)
    image = QImage(str(png))
    assert image.size() == size
    svg = tmp_path / "task.svg"
    export_task(svg, {"train/0/input": grid, "train/0/output": grid.T, "test/0/input": grid}, ARC_PALETTE,
                colors)
    text = svg.read_text()
    assert "<svg" in text and "#0074d9" in text.lower() and "Demo 1" in text and "Test 1" in text


HIDPI_SCRIPT = """
import numpy as np
import trm_lab
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from trm_lab.widgets.grid_editor import GridEditor
from trm_lab.widgets.palette import ARC_COLORS
app = QApplication([])
grid = np.random.default_rng(3).integers(0, 10, (7, 11))
view = GridEditor(grid)
view.resize(301, 223)
view.show()
app.processEvents()
assert view.devicePixelRatioF() == 2.0, view.devicePixelRatioF()
image = view.grab().toImage()
assert image.width() == 602, image.width()
geo = view.geometry_for(2.0)
for r in range(7):
    for c in range(11):
        rect = geo.cell_rect(r, c)
        for x, y in ((rect.left(), rect.top()), (rect.right(), rect.bottom())):
            assert image.pixelColor(x, y).name().upper() == ARC_COLORS[grid[r, c]], (r, c)
edits = []
view.cells_edited.connect(edits.append)
QTest.mouseClick(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, view.cell_rect(3, 4).center())
assert [(e.rows, e.cols) for e in edits] == [((3,), (4,))], edits
print("crisp at 2x")
"""


def test_real_widget_at_scale_factor_2_is_crisp_and_clicks_hit_the_right_cell():
    import os
    import subprocess
    import sys

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR="2")
    out = subprocess.run([sys.executable, "-c", HIDPI_SCRIPT], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "crisp at 2x" in out.stdout


def test_task_view_paints_every_grid_exactly_and_rings_the_picked_one(qtbot):
    from trm_lab.widgets.task_view import TaskView

    rng = np.random.default_rng(5)
    grids = {"train/0/input": rng.integers(0, 10, (3, 4)), "train/0/output": rng.integers(0, 10, (6, 8)),
             "test/0/input": rng.integers(0, 10, (2, 2))}
    view = TaskView()
    qtbot.addWidget(view)
    view.set_task(grids)
    view.resize(400, 500)
    view.select("train/0/output")
    image = view.canvas.grab().toImage()
    lay = view._layout
    for key, grid in grids.items():
        rect = view.key_rect(key)
        geo = view._geometries[key]
        assert rect.contains(geo.rect)
        for r in range(grid.shape[0]):
            for c in range(grid.shape[1]):
                cell = geo.cell_rect(r, c)
                assert rgb(image, cell.center().x(), cell.center().y()) == ARC_COLORS[grid[r, c]], (key, r, c)
    ring = view._geometries["train/0/output"].rect
    assert rgb(image, ring.left() - 2, ring.center().y()) == view.canvas.palette().highlight().color().name().upper()
    assert "(no output)" not in [t for _, t in lay.titles] and len(lay.missing) == 1  # the test's unknown answer
