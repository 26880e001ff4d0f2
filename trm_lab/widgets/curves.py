"""CurvesView: a grid of live line plots (pyqtgraph) for several runs at once, TensorBoard-style.

Each plot shows named series; each run has its own colour and appears in every plot. Data arrive as
whole numpy arrays (`set_series`) and only existing PlotDataItems are updated (`setData`), never
recreated. Smoothing is TensorBoard's debiased EMA (default 0.6) drawn over the faint raw line; x is the
step or the wall-clock time; "follow latest" scrolls a zoomed view along with new data and keeps its
width; the x-axes are linked. Export: PNG of the grid, CSV of every series. Engine-agnostic.

The grid keeps each plot readable: it has as many columns as fit MIN_PLOT_WIDTH (at most the number
asked for) and scrolls vertically rather than squeeze a plot below MIN_PLOT_HEIGHT. Which line style
is which series is said in the plot's title, so no legend lies over the curves.

Auto-range is steady: each plot holds an invisible anchor spanning its data with headroom (25% more
steps to the right, 10% above and below), moved only when the data leave it or shrink well inside it.
The axes then keep their ranges, and their cached tick pictures, for most new points; re-ranging on
every point made each redraw re-lay out every axis, the bulk of a redraw's cost.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget

from .plot_axis import ReadableAxis
from .smoothing import EmaState, extends

X_MODES = {"step": "step", "time": "wall time (min)"}
TITLE_SIZE = "10pt"
DEFAULT_SMOOTHING = 0.6  # TensorBoard's default
MIN_PLOT_WIDTH = 250  # narrower than this, the grid drops a column (a 1024-pixel window shows two)
MIN_PLOT_HEIGHT = 170  # the grid scrolls vertically rather than squeeze plots below this


LINE_GLYPHS = {Qt.PenStyle.SolidLine: "\u2014", Qt.PenStyle.DashLine: "--", Qt.PenStyle.DotLine: "\u00b7\u00b7"}


@dataclass(frozen=True)
class SeriesSpec:
    """One named series of a plot: its line style, smoothed or not, with a marker on each point or not."""

    key: str
    label: str
    dashed: bool = False
    smoothed: bool = True  # False: the values as they are (a learning-rate schedule, sparse evaluations)
    markers: bool = False  # a dot on each point (sparse series such as evaluations)
    dotted: bool = False

    @property
    def pen_style(self) -> Qt.PenStyle:
        return Qt.PenStyle.DotLine if self.dotted else Qt.PenStyle.DashLine if self.dashed else Qt.PenStyle.SolidLine


@dataclass(frozen=True)
class PlotSpec:
    key: str
    title: str
    series: tuple[SeriesSpec, ...]
    log_y: bool = False  # follows the view's log-y switch (losses, learning rate)


@dataclass
class _Curve:
    raw: pg.PlotDataItem
    smooth: pg.PlotDataItem
    steps: np.ndarray
    times: np.ndarray
    values: np.ndarray
    ema: EmaState | None = None


class CurvesView(QWidget):
    """A grid of PlotItems with linked x-axes; runs are keys with a colour, series come from PlotSpecs."""

    def __init__(self, plots: list[PlotSpec], columns: int = 4, parent: QWidget | None = None):
        super().__init__(parent)
        self.specs = {p.key: p for p in plots}
        self._series_plot = {s.key: p.key for p in plots for s in p.series}
        self._series_spec = {s.key: s for p in plots for s in p.series}
        self.max_columns = columns
        self.columns = columns
        self.graphics = _TimedGraphics()
        self.graphics.setObjectName("curves")
        self.scroll = QScrollArea()  # plots keep a readable size: a short window scrolls them
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.graphics)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll)
        self.plots: dict[str, pg.PlotItem] = {}
        for i, spec in enumerate(plots):
            axes = {name: ReadableAxis(name) for name in ("left", "bottom")}
            plot = self.graphics.addPlot(row=i // columns, col=i % columns, axisItems=axes)
            self._set_title(plot, spec)  # no grid by default: it triples the paint time
            if self.plots:
                plot.setXLink(next(iter(self.plots.values())))
            self.plots[spec.key] = plot
        self._curves: dict[tuple[str, str], _Curve] = {}
        self._anchors: dict[str, pg.PlotDataItem] = {}
        self._boxes: dict[str, tuple[float, float, float, float]] = {}  # anchor extent (x0, x1, y0, y1)
        for key, plot in self.plots.items():
            anchor = self._anchors[key] = pg.PlotDataItem(pen=pg.mkPen(0, 0, 0, 0))
            plot.addItem(anchor)
        self._colors: dict[str, QColor] = {}
        self.smoothing = DEFAULT_SMOOTHING
        self.log_y = False
        self.x_mode = "step"
        self.follow = True
        self._foreground = "#202020"
        self._set_x_labels()

    @staticmethod
    def title_html(spec: PlotSpec) -> str:
        """The plot's title and, where it has several series, which line style is which (the colours
        are the runs)."""
        if len(spec.series) < 2:
            return spec.title
        keys = "&nbsp; ".join(f"{LINE_GLYPHS[s.pen_style]}&nbsp;{s.label}" for s in spec.series)
        return f"{spec.title}&nbsp;&nbsp; <span style='font-size:8pt'>{keys}</span>"

    def _set_title(self, plot: pg.PlotItem, spec: PlotSpec, **style) -> None:
        plot.setTitle(self.title_html(spec), size=TITLE_SIZE, **style)
        plot.titleLabel.setMinimumWidth(0)  # a long title may be cut at its ends; it never widens the grid

    # ---- layout -----------------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        width = event.size().width() - self.scroll.verticalScrollBar().sizeHint().width()
        self.set_columns(max(1, min(self.max_columns, width // MIN_PLOT_WIDTH)))

    def set_columns(self, columns: int) -> None:
        """Lay the plots out in `columns` columns (as many rows as they need), in their order."""
        plots = list(self.plots.values())
        if columns != self.columns:
            self.columns = columns
            layout = self.graphics.ci
            for plot in plots:
                layout.removeItem(plot)
            for i, plot in enumerate(plots):
                layout.addItem(plot, row=i // columns, col=i % columns)
        self.graphics.setMinimumHeight(-(-len(plots) // columns) * MIN_PLOT_HEIGHT)

    # ---- runs and data ----------------------------------------------------------------------------
    def runs(self) -> list[str]:
        return list(self._colors)

    def set_run_color(self, run: str, color: QColor | str) -> None:
        self._colors[run] = QColor(color)
        for (r, key), curve in self._curves.items():
            if r == run:
                self._style(curve, run, key)

    def remove_run(self, run: str) -> None:
        for key in [k for k in self._curves if k[0] == run]:
            curve = self._curves.pop(key)
            plot = self.plots[self._series_plot[key[1]]]
            plot.removeItem(curve.raw)
            plot.removeItem(curve.smooth)
        self._colors.pop(run, None)
        self._reanchor()

    def set_series(self, run: str, key: str, steps: np.ndarray, times: np.ndarray, values: np.ndarray) -> None:
        """The whole series `key` of `run` (x by step and by wall-clock seconds); updates items in place."""
        if run not in self._colors:
            self.set_run_color(run, "#1f77b4")
        curve = self._curves.get((run, key))
        if curve is None:
            plot = self.plots[self._series_plot[key]]
            raw, smooth = pg.PlotDataItem(), pg.PlotDataItem()
            for item in (raw, smooth):
                item.setDownsampling(auto=True, method="peak")
                item.setClipToView(True)
                plot.addItem(item)
            raw.setZValue(-1)
            curve = self._curves[(run, key)] = _Curve(raw, smooth, steps, times, values)
            self._style(curve, run, key)
        old = curve.values
        curve.steps, curve.times, curve.values = (np.asarray(a, dtype=float) for a in (steps, times, values))
        if curve.ema is not None and not extends(curve.values, old, len(curve.ema.out)):
            curve.ema = None  # the series was rewritten (a resumed run dropped later points): start over
        self._draw(curve, key)

    @property
    def paint_ms(self) -> float:
        """The recent cost of painting every plot once, in milliseconds."""
        return self.graphics.paint_ms

    def point_count(self, run: str, key: str) -> int:
        curve = self._curves.get((run, key))
        return 0 if curve is None else len(curve.values)

    def items(self, run: str, key: str) -> tuple[pg.PlotDataItem, pg.PlotDataItem] | None:
        """The (raw, smoothed) items of a series, for tests and exports."""
        curve = self._curves.get((run, key))
        return None if curve is None else (curve.raw, curve.smooth)

    # ---- view options -----------------------------------------------------------------------------
    def set_smoothing(self, weight: float) -> None:
        self.smoothing = min(max(float(weight), 0.0), 0.999)
        for (_run, key), curve in self._curves.items():
            curve.ema = None
            self._draw(curve, key)

    def set_log_y(self, on: bool) -> None:
        self.log_y = bool(on)
        for spec in self.specs.values():
            if spec.log_y:
                self.plots[spec.key].setLogMode(y=self.log_y)
        self._reanchor()

    def set_x_mode(self, mode: str) -> None:
        if mode not in X_MODES:
            raise ValueError(f"x mode must be one of {', '.join(X_MODES)}")
        self.x_mode = mode
        self._set_x_labels()
        self._boxes.clear()
        for (_run, key), curve in self._curves.items():
            self._draw(curve, key)
        self.fit_all()

    def set_follow(self, on: bool) -> None:
        self.follow = bool(on)
        self.follow_latest()

    def fit_all(self) -> None:
        for plot in self.plots.values():
            plot.enableAutoRange()

    def follow_latest(self) -> None:
        """Scroll a zoomed view so the newest point is at its right edge, keeping the zoom's width
        (an auto-ranging view follows by itself)."""
        if not self.follow or not self._curves:
            return
        vb = next(iter(self.plots.values())).getViewBox()
        if vb.autoRangeEnabled()[0]:
            return
        latest = max((float(c.raw.xData[-1]) for c in self._curves.values()
                      if c.raw.xData is not None and len(c.raw.xData)), default=None)
        (lo, hi), _ = vb.viewRange()
        if latest is not None and latest > hi:
            width = hi - lo
            vb.setXRange(latest - 0.97 * width, latest + 0.03 * width, padding=0)

    def set_colors(self, background: str, foreground: str) -> None:
        self._foreground = foreground
        self.graphics.setBackground(background)
        for spec in self.specs.values():
            plot = self.plots[spec.key]
            self._set_title(plot, spec, color=foreground)
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(pg.mkPen(foreground))
                axis.setTextPen(pg.mkPen(foreground))

    # ---- export -----------------------------------------------------------------------------------
    def export_png(self, path: Path) -> Path:
        path = Path(path)
        if not self.graphics.grab().save(str(path), "PNG"):
            raise OSError(f"{path}: could not write the image")
        return path

    def csv_rows(self) -> list[list]:
        """run, series, step, time_s, value, smoothed: one row per point of every series."""
        rows = []
        for (run, key), curve in self._curves.items():
            smoothed = self._smoothed(curve, key)
            for s, t, v, sv in zip(curve.steps.tolist(), curve.times.tolist(), curve.values.tolist(),
                                   smoothed.tolist()):
                rows.append([run, key, int(s), round(t, 3), v, sv])
        return rows

    def export_csv(self, path: Path) -> Path:
        path = Path(path)
        with open(path, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["run", "series", "step", "time_s", "value", "smoothed"])
            writer.writerows(self.csv_rows())
        return path

    # ---- drawing ----------------------------------------------------------------------------------
    def _x(self, curve: _Curve) -> np.ndarray:
        return curve.steps if self.x_mode == "step" else curve.times / 60.0

    def _smoothed(self, curve: _Curve, key: str) -> np.ndarray:
        spec = self._series_spec[key]
        values = curve.values
        finite = values[np.isfinite(values)]
        if not spec.smoothed or self.smoothing <= 0 or len(finite) < 2 or finite.min() == finite.max():
            return values  # nothing to smooth (a constant series stays exactly as it is)
        if curve.ema is None or curve.ema.weight != self.smoothing:
            curve.ema = EmaState(self.smoothing)
        done = len(curve.ema.out)
        return curve.ema.extend(values[done:])

    def _draw(self, curve: _Curve, key: str) -> None:
        x = self._x(curve)
        spec = self._series_spec[key]
        smoothed = self._smoothed(curve, key)
        curve.smooth.setData(x, smoothed)
        show_raw = spec.smoothed and smoothed is not curve.values
        curve.raw.setVisible(show_raw)
        if show_raw:
            curve.raw.setData(x, curve.values)
        self._anchor(self._series_plot[key])
        self.follow_latest()

    def _reanchor(self) -> None:
        self._boxes.clear()
        for key in self.plots:
            self._anchor(key)

    def _anchor(self, plot_key: str) -> None:
        """Move the plot's anchor if its data left it or shrank well inside it (see the module doc)."""
        log = self.log_y and self.specs[plot_key].log_y
        xs, ys = [], []
        for (_run, key), curve in self._curves.items():
            if self._series_plot[key] != plot_key:
                continue
            x, v = self._x(curve), curve.values  # smoothed values lie between the raw ones
            ok = np.isfinite(x) & np.isfinite(v) & ((v > 0) if log else True)
            xs.append(x[ok])
            ys.append(np.log10(v[ok]) if log else v[ok])
        x, y = (np.concatenate(a) if a else np.empty(0) for a in (xs, ys))
        anchor = self._anchors[plot_key]
        if not len(x):
            self._boxes.pop(plot_key, None)
            anchor.setData([], [])
            return
        x0, x1, y0, y1 = float(x.min()), float(x.max()), float(y.min()), float(y.max())
        box = self._boxes.get(plot_key)
        if box is not None and box[0] <= x0 and x1 <= box[1] and box[2] <= y0 and y1 <= box[3] \
                and x1 - x0 >= 0.4 * (box[1] - box[0]) and y1 - y0 >= 0.4 * (box[3] - box[2]):
            return
        dx = (x1 - x0) or 1.0
        dy = (y1 - y0) or max(abs(y1), 1e-3)
        box = self._boxes[plot_key] = (x0, x1 + 0.25 * dx, y0 - 0.1 * dy, y1 + 0.1 * dy)
        lo, hi = (10 ** box[2], 10 ** box[3]) if log else (box[2], box[3])
        anchor.setData([box[0], box[1]], [lo, hi])

    def _style(self, curve: _Curve, run: str, key: str) -> None:
        color = QColor(self._colors.get(run, QColor("#1f77b4")))
        spec = self._series_spec[key]
        style = spec.pen_style
        curve.smooth.setPen(pg.mkPen(color, width=1, style=style))  # wider pens paint several times slower
        faint = QColor(color)
        faint.setAlpha(70)
        curve.raw.setPen(pg.mkPen(faint, width=1, style=style))
        if spec.markers:
            curve.smooth.setSymbol("o")
            curve.smooth.setSymbolSize(5)
            curve.smooth.setSymbolBrush(color)
            curve.smooth.setSymbolPen(pg.mkPen(color))

    def _set_x_labels(self) -> None:
        for plot in self.plots.values():
            plot.setLabel("bottom", X_MODES[self.x_mode])


class _TimedGraphics(pg.GraphicsLayoutWidget):
    """The plots' canvas; it keeps a running average of how long a full paint takes (`paint_ms`), so a
    caller can redraw less often on a slow machine."""

    paint_ms = 0.0

    def paintEvent(self, event) -> None:
        start = time.perf_counter()
        super().paintEvent(event)
        elapsed = (time.perf_counter() - start) * 1000
        self.paint_ms = elapsed if not self.paint_ms else 0.7 * self.paint_ms + 0.3 * elapsed
