"""TracePlots: four small linked plots (pyqtgraph) along a recursion, x = the state index, with a vertical
cursor line that follows the timeline:

    halting      sigmoid(q_halt) after each supervision step, and the 0.5 threshold
    changed      cells whose decoded token changed (y dark, z light)
    distance     |dy| and |dz| (RMS distance to the previous state of the same kind; y dark, z light)
    accuracy     share of cells right in y

Several traces (slots: 0 = the trace shown, 1 = the branch beside it) share the plots, each in its
own colour. Data arrive as numpy arrays; the PlotDataItems are made once and updated with setData.
Clicking a plot reports the state index under the mouse. Engine-agnostic.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsItem, QVBoxLayout, QWidget

PLOTS = {  # key: (title, ((series, label, light colour), ...))
    "halting": ("sigmoid(q_halt)", (("p_halt", "p(halt)", False),)),
    "changed": ("cells changed", (("changed_y", "y", False), ("changed_z", "z", True))),
    "distance": ("|dy|, |dz|", (("dy", "|dy|", False), ("dz", "|dz|", True))),
    "accuracy": ("cells right (y)", (("accuracy", "accuracy", False),)),
}
SLOT_COLORS = ("#1E88E5", "#E65100")  # the trace shown, the branch beside it (y, and the one-series plots)
LIGHT_COLORS = ("#90CAF9", "#FFB74D")  # the same, lighter: z
HALT_THRESHOLD = 0.5


class TracePlots(QWidget):
    """See the module docstring."""

    position_clicked = Signal(int)  # a state index picked by clicking a plot

    def __init__(self, slots: int = 2, parent: QWidget | None = None):
        super().__init__(parent)
        self.layout_widget = pg.GraphicsLayoutWidget()
        self.layout_widget.setMinimumHeight(120)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.layout_widget)
        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[tuple[int, str], pg.PlotDataItem] = {}
        self.cursors: dict[tuple[int, str], pg.InfiniteLine] = {}
        self.threshold: pg.InfiniteLine | None = None
        first = None
        for col, (key, (title, series)) in enumerate(PLOTS.items()):
            plot = self.layout_widget.addPlot(row=0, col=col, title=title)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            # No grid: pyqtgraph draws it in the axes, whose bounds then cover the plot, so every cursor
            # move would repaint them (most of a redraw's cost).
            plot.getViewBox().setMouseEnabled(x=False, y=False)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            if key in ("halting", "accuracy"):
                plot.setYRange(0, 1.02, padding=0)
            self.plots[key] = plot
            for slot in range(slots):
                for name, _label, light in series:
                    # Thin solid pens: wide or dashed ones make every cursor move re-stroke the curves slowly.
                    pen = pg.mkPen((LIGHT_COLORS if light else SLOT_COLORS)[slot % len(SLOT_COLORS)], width=1)
                    symbol = "o" if name in ("p_halt",) else None
                    self.curves[(slot, name)] = plot.plot([], [], pen=pen, symbol=symbol, symbolSize=5,
                                                          symbolBrush=SLOT_COLORS[slot % len(SLOT_COLORS)],
                                                          symbolPen=None, connect="finite")
                self.curves[(slot, name)].setZValue(slots - slot)  # the trace shown over its branch
                # A cursor move repaints a thin strip across every plot: cached curves are blitted into
                # it instead of re-stroked (the cache is redrawn only when the data or the view change).
                for part in (self.curves[(slot, name)].curve, self.curves[(slot, name)].scatter):
                    part.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
                cursor = pg.InfiniteLine(angle=90, movable=False,
                                         pen=pg.mkPen(SLOT_COLORS[slot % len(SLOT_COLORS)], width=1,
                                                      style=Qt.PenStyle.SolidLine if slot == 0 else Qt.PenStyle.DotLine))
                cursor.setVisible(False)
                plot.addItem(cursor, ignoreBounds=True)
                self.cursors[(slot, key)] = cursor
        self.threshold = pg.InfiniteLine(pos=HALT_THRESHOLD, angle=0, movable=False,
                                         pen=pg.mkPen("#C62828", width=1, style=Qt.PenStyle.DashLine))
        self.plots["halting"].addItem(self.threshold, ignoreBounds=True)
        self.layout_widget.scene().sigMouseClicked.connect(self._on_scene_mouse_clicked)
        self.set_scheme(("#FFFFFF", "#202020"))

    # ---- data -------------------------------------------------------------------------------------
    def set_series(self, slot: int, series: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        """Update the named series of one slot: name -> (x, y); names not given are left as they are."""
        for name, (x, y) in series.items():
            self.curves[(slot, name)].setData(np.asarray(x, dtype=float), np.asarray(y, dtype=float))

    def clear_slot(self, slot: int) -> None:
        for (s, _name), curve in self.curves.items():
            if s == slot:
                curve.setData([], [])
        for (s, _key), cursor in self.cursors.items():
            if s == slot:
                cursor.setVisible(False)

    def set_x_range(self, count: int) -> None:
        """Show states 0..count-1 (the expected length, so streaming does not rescale the x-axis)."""
        self.plots["halting"].setXRange(-0.5, max(1, count) - 0.5, padding=0.02)

    def set_cursor(self, slot: int, index: int | None) -> None:
        for key in PLOTS:
            line = self.cursors[(slot, key)]
            line.setVisible(index is not None)
            if index is not None:
                line.setValue(index)

    def point_count(self, slot: int, name: str) -> int:
        x, _ = self.curves[(slot, name)].getData()
        return 0 if x is None else len(x)

    # ---- looks ------------------------------------------------------------------------------------
    def set_scheme(self, colors: tuple[str, str]) -> None:
        """(background, foreground) from theme.PLOT_COLORS."""
        background, foreground = colors
        self.layout_widget.setBackground(background)
        for plot in self.plots.values():
            for axis in ("left", "bottom"):
                ax = plot.getAxis(axis)
                ax.setPen(pg.mkPen(foreground))
                ax.setTextPen(pg.mkPen(foreground))
            plot.titleLabel.setText(plot.titleLabel.text, color=QColor(foreground).name(), size="9pt")

    def _on_scene_mouse_clicked(self, event) -> None:
        for plot in self.plots.values():
            if plot.sceneBoundingRect().contains(event.scenePos()):
                x = plot.getViewBox().mapSceneToView(event.scenePos()).x()
                self.position_clicked.emit(int(round(x)))
                return
