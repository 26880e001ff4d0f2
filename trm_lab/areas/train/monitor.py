"""TrainingMonitor: the live view of the runs shown — a header for the current run (state, step / total,
ETA, examples/s, device, memory), the view options (smoothing, log-y, x axis, follow latest, fit), the
curves of every shown run in its own colour, and the current run's log.

It redraws from a QTimer at most REDRAW_HZ times a second, and only what changed since the last draw
(each RunHistory has a version), however fast the events arrive. Where painting the plots is slow (a
busy or small machine), it redraws less often, so that painting takes at most PAINT_SHARE of the GUI
thread's time.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ...theme import PLOT_COLORS
from ...widgets.curves import DEFAULT_SMOOTHING, X_MODES, CurvesView, PlotSpec, SeriesSpec
from .feed import cuda_memory, process_rss
from .history import EVAL_SERIES, TRAIN_SERIES, RunHistory, format_bytes, format_duration

REDRAW_HZ = 10
PAINT_SHARE = 0.25

PLOTS = [
    PlotSpec("loss", "Total loss", (SeriesSpec("loss", "total"),), log_y=True),
    PlotSpec("lm_loss", "LM loss", (SeriesSpec("lm_loss", "LM"),), log_y=True),
    PlotSpec("halt", "Halting loss",
             (SeriesSpec("q_halt_loss", "halt"), SeriesSpec("q_continue_loss", "continue", dashed=True)), log_y=True),
    PlotSpec("train_acc", "Train accuracy",
             (SeriesSpec("accuracy", "cell"), SeriesSpec("exact_accuracy", "exact", dashed=True))),
    PlotSpec("eval", "Eval accuracy",  # cell accuracy moves long before the first puzzle is solved
             (SeriesSpec("eval_accuracy", "cell", smoothed=False, markers=True),
              SeriesSpec("eval_exact", "exact", dashed=True, smoothed=False, markers=True),
              SeriesSpec("eval_pass2", "pass@2", dotted=True, smoothed=False, markers=True))),
    PlotSpec("sup_steps", "Supervision steps used", (SeriesSpec("sup_steps", "N_sup used"),)),
    PlotSpec("lr", "Learning rate", (SeriesSpec("lr", "lr", smoothed=False),), log_y=True),  # a schedule: exact
    PlotSpec("speed", "Examples / s", (SeriesSpec("examples_per_s", "examples/s"),)),
]
SHOWN_SERIES = tuple(s.key for p in PLOTS for s in p.series)
assert set(SHOWN_SERIES) <= set(TRAIN_SERIES + EVAL_SERIES)


class TrainingMonitor(QWidget):
    """Curves of the shown runs, header and log of the current one. The panel owns the histories."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.histories: dict[Path, RunHistory] = {}
        self.current: Path | None = None
        self.in_process: set[Path] = set()  # runs trained by this process (its memory is theirs)
        self.status_of: dict[Path, dict] = {}  # latest run-list summary per run (pid, host for memory)
        self._drawn: dict[Path, int] = {}
        self._log_drawn: tuple[Path | None, int] = (None, 0)
        self.redraws = 0

        self.title = QLabel()
        self.title.setObjectName("run_title")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.header = QLabel("No run selected. Start one with New Run, or attach a run folder.")
        self.header.setObjectName("run_header")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)  # a long header wraps; it never widens the panel
        self.title.setWordWrap(True)

        self.smoothing = QSlider(Qt.Orientation.Horizontal)
        self.smoothing.setRange(0, 99)
        self.smoothing.setValue(round(DEFAULT_SMOOTHING * 100))
        self.smoothing.setMaximumWidth(160)
        self.smoothing.setToolTip("Debiased exponential moving average, as TensorBoard (0 = raw data)")
        self.smoothing_label = QLabel()
        self.log_y = QCheckBox("Log y")
        self.log_y.setToolTip("Logarithmic y axis for the losses and the learning rate")
        self.x_axis = QComboBox()
        for mode, label in X_MODES.items():
            self.x_axis.addItem(f"x: {label}", mode)
        self.follow = QCheckBox("Follow latest")
        self.follow.setChecked(True)
        self.follow.setToolTip("Keep the newest point in view while zoomed in (the zoom's width is kept)")
        self.fit = QPushButton("Fit All")
        self.fit.setToolTip("Zoom every plot out to all its data")
        options = QHBoxLayout()
        for widget in (QLabel("Smoothing"), self.smoothing, self.smoothing_label, self.log_y, self.x_axis,
                       self.follow, self.fit):
            options.addWidget(widget)
        options.addStretch(1)

        self.curves = CurvesView(PLOTS, columns=4)
        self.log = QPlainTextEdit()
        self.log.setObjectName("run_log")
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(2000)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.curves)
        split.addWidget(self.log)
        split.setStretchFactor(0, 5)
        split.setSizes([600, 110])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.header)
        layout.addLayout(options)
        layout.addWidget(split, 1)

        self.smoothing.valueChanged.connect(self._on_smoothing_value_changed)
        self.log_y.toggled.connect(self.curves.set_log_y)
        self.x_axis.currentIndexChanged.connect(self._on_x_axis_current_index_changed)
        self.follow.toggled.connect(self.curves.set_follow)
        self.fit.clicked.connect(self.curves.fit_all)
        self._on_smoothing_value_changed(self.smoothing.value())
        self.timer = QTimer(self, interval=1000 // REDRAW_HZ)
        self.timer.timeout.connect(self.redraw)
        self.timer.start()

    # ---- which runs ---------------------------------------------------------------------------------
    def show_run(self, path: Path, history: RunHistory, color: QColor) -> None:
        self.histories[path] = history
        self.curves.set_run_color(str(path), color)
        self._drawn.pop(path, None)

    def hide_run(self, path: Path) -> None:
        self.histories.pop(path, None)
        self._drawn.pop(path, None)
        self.curves.remove_run(str(path))

    def set_current(self, path: Path | None, title: str = "") -> None:
        self.current = path
        self.title.setText(f"<b>{title}</b>" if title else "")
        self._log_drawn = (None, 0)
        self.redraw()

    def set_theme(self, scheme: str) -> None:
        self.curves.set_colors(*PLOT_COLORS.get(scheme, PLOT_COLORS["light"]))

    # ---- drawing ------------------------------------------------------------------------------------
    def redraw(self) -> None:
        """Bring the curves, header and log up to date with the histories (called by the timer)."""
        changed = False
        for path, history in self.histories.items():
            if self._drawn.get(path) == history.version:
                continue
            self._drawn[path] = history.version
            changed = True
            for key in SHOWN_SERIES:
                steps, times, values = history.arrays(key)
                if len(values) or self.curves.point_count(str(path), key):
                    self.curves.set_series(str(path), key, steps, times, values)
        if changed:
            self.redraws += 1
            interval = max(1000 // REDRAW_HZ, round(self.curves.paint_ms / PAINT_SHARE))
            if interval != self.timer.interval():
                self.timer.setInterval(interval)
        self.update_header()
        self._update_log()

    def update_header(self) -> None:
        """State, step, ETA, speed, evaluations, device and memory of the current run."""
        history = self.histories.get(self.current) if self.current is not None else None
        if history is None:
            return
        state = history.state
        color = {"running": "#2E9B4E", "paused": "#C98A00", "failed": "#D13B3B", "crashed": "#D13B3B"}.get(state)
        parts = [f"<b style='color:{color}'>{state}</b>" if color else f"<b>{state}</b>",
                 f"step {history.step:,} / {history.total_steps:,}"]
        if history.is_live:
            parts.append(f"ETA {format_duration(history.eta_seconds())}")
        speed = history.latest("examples_per_s")
        if speed is not None:
            parts.append(f"{speed:,.0f} examples/s")
        cells, exact = history.latest("eval_accuracy"), history.latest("eval_exact")
        if cells is not None and exact is not None:
            parts.append(f"eval {exact:.1%} exact, {cells:.1%} cells")
        if history.best_eval is not None:
            parts.append(f"best eval {history.best_eval:.1%}")
        if history.device:
            parts.append(history.device + (f" \u00d7 {history.world_size}" if history.world_size > 1 else ""))
        parts += self._memory(history)
        if state in ("failed", "crashed") and history.message:
            parts.append(f"<span style='color:#D13B3B'>{history.message.splitlines()[0][:160]}</span>")
        self.header.setText(" \u00b7 ".join(parts))

    def _memory(self, history: RunHistory) -> list[str]:
        if self.current in self.in_process:
            out = [f"RSS {format_bytes(process_rss())}"]
            cuda = cuda_memory(history.device)
            if cuda is not None:
                out.append(f"CUDA {format_bytes(cuda[0])} (peak {format_bytes(cuda[1])})")
            return out
        from .feed import run_process_rss
        rss = run_process_rss(self.status_of.get(self.current, {})) if history.is_live else None
        return [f"RSS {format_bytes(rss)}"] if rss is not None else []

    def _update_log(self) -> None:
        history = self.histories.get(self.current) if self.current is not None else None
        lines = history.log if history is not None else []
        drawn_path, drawn = self._log_drawn
        if drawn_path != self.current or drawn > len(lines):
            self.log.clear()
            drawn = 0
        for line in lines[drawn:]:
            text = line.text.replace("&", "&amp;").replace("<", "&lt;")
            self.log.appendHtml(f"<span style='color:#D13B3B'>{text}</span>" if line.error else text)
        self._log_drawn = (self.current, len(lines))

    def log_text(self) -> str:
        return self.log.toPlainText()

    def _on_smoothing_value_changed(self, value: int) -> None:
        self.smoothing_label.setText(f"{value / 100:.2f}")
        self.curves.set_smoothing(value / 100)

    def _on_x_axis_current_index_changed(self, _index: int) -> None:
        self.curves.set_x_mode(self.x_axis.currentData())
