"""Engine-agnostic widgets: numpy in, signals out. No trm_engine imports here.

    GridView / GridEditor   a crisp grid with per-cell layers; the editor emits GridEdit on cells_edited
    TaskView                an ARC-style task (pairs of grids) painted by one widget
    PaletteBar              swatches that pick a value; CellPalette says how values look
    paint_grid / layout     the painter behind all of them (and the PNG / SVG exports)
"""

from .grid import GridView
from .grid_editor import GridEdit, GridEditor
from .grid_paint import GridColors, GridGeometry, GridState, layout, paint_grid
from .palette import ARC_COLORS, ARC_PALETTE, MAZE_PALETTE, CellPalette, PaletteBar, digit_palette
from .progress import ProgressIndicator
from .task_view import TaskView

__all__ = [
    "ARC_COLORS", "ARC_PALETTE", "MAZE_PALETTE", "CellPalette", "GridColors", "GridEdit", "GridEditor",
    "GridGeometry", "GridState", "GridView", "PaletteBar", "ProgressIndicator", "TaskView", "digit_palette",
    "layout", "paint_grid",
]
