"""TraceStrip: one recursion's views side by side - the input, y decoded, z decoded, z projected to RGB,
the per-cell norm heat map - over its own timeline. The Inspect area shows one strip for the trace and
one for a branch of it, next to each other.

At the cursor the strip shows the recursion's state at that moment: the latest y and the latest z at or
before it (the one the cursor is on is marked with a dot in its caption).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...widgets.color_grid import ColorGridView, heat_colors
from ...widgets.grid import GridView
from ...widgets.grid_editor import GridEditor
from ...widgets.grid_paint import GridState
from ...widgets.timeline import TimelineBar
from .data import TraceData
from .look import FamilyLook, decoded_state, input_state, projection_colors

VIEWS = ("input", "y", "z", "projection", "norm")
CAPTIONS = {"input": "input", "y": "y decoded", "z": "z decoded", "projection": "z projected (3 PCs \u2192 RGB)",
            "norm": ""}
HEAT_MAPS = {"cell_delta": "change", "cell_norm": "norm"}  # the heat map's choices: per-cell |d state|, |state|
_LAYERS = ("fixed", "text", "shading", "highlight", "tint", "outline", "verdict")


def apply_state(view: GridView, state: GridState) -> None:
    """Show `state` in `view` (grid, palette, box and every layer, cleared where the state has none)."""
    if view.state.palette is not state.palette:
        view.set_cell_palette(state.palette)
    if view.state.box != state.box:
        view.set_box(state.box)
    view.set_grid(state.grid)
    for name in _LAYERS:
        view.set_layer(name, getattr(state, name))


class TraceStrip(QWidget):
    """See the module docstring."""

    current_changed = Signal(int)  # the timeline's cursor moved to this state index
    cell_clicked = Signal(str, int, int)  # (view "input" or "y", row, col)

    def __init__(self, title: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.data: TraceData | None = None
        self.look: FamilyLook | None = None
        self._ranges: dict[tuple[str, str], tuple[float, float]] = {}
        self._input_shown: tuple | None = None
        self._drawn: dict[str, tuple] = {}  # what the y, z and projection views show now
        self.title = QLabel(title)
        self.title.setObjectName("strip_title")
        # Bold by font, not a style sheet: a widget's style sheet freezes its colours, so the title
        # stayed black when the theme turned dark.
        bold = self.title.font()
        bold.setBold(True)
        self.title.setFont(bold)
        self.info = QLabel("")
        self.info.setObjectName("strip_info")
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.info.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addWidget(self.info, 1)

        self.input_view = GridEditor(np.zeros((3, 3), dtype=np.int64))
        self.input_view.editable = False
        self.y_view = GridView(np.zeros((3, 3), dtype=np.int64))
        self.z_view = GridView(np.zeros((3, 3), dtype=np.int64))
        self.projection_view = ColorGridView()
        self.norm_view = ColorGridView()
        self.views: dict[str, QWidget] = {"input": self.input_view, "y": self.y_view, "z": self.z_view,
                                          "projection": self.projection_view, "norm": self.norm_view}
        self.captions: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(0)
        self.heat_box = QComboBox()
        self.heat_box.setObjectName("heat_box")
        self.heat_box.setToolTip("Per cell: how far the state moved since the previous state of its kind, or its size")
        for name, what in HEAT_MAPS.items():
            self.heat_box.addItem(f"{what} per cell", name)
        self.heat_box.currentIndexChanged.connect(lambda _i: self.show_state(self.current))
        for col, key in enumerate(VIEWS):
            caption = QLabel(CAPTIONS[key])
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            # Captions change with the cursor; they must not re-layout the views (a redraw's worth of work).
            caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            self.captions[key] = caption
            if key == "norm":  # the heat map's chooser; in pictures, a caption saying what it shows
                self.heat_head = QStackedWidget()
                self.heat_head.addWidget(self.heat_box)
                self.heat_head.addWidget(caption)
                self.heat_head.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
                self.heat_head.setFixedHeight(self.heat_box.sizeHint().height())
                grid.addWidget(self.heat_head, 0, col)
            else:
                grid.addWidget(caption, 0, col)
            view = self.views[key]
            view.setObjectName(f"{key}_view")
            view.setMinimumSize(90, 90)
            view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            grid.addWidget(view, 1, col)
            grid.setColumnStretch(col, 1)
        grid.setRowStretch(1, 1)
        self.input_view.cell_clicked.connect(lambda r, c: self.cell_clicked.emit("input", r, c))
        self.y_view.cell_clicked.connect(lambda r, c: self.cell_clicked.emit("y", r, c))

        self.timeline = TimelineBar()
        self.timeline.setObjectName("timeline")
        self.timeline.current_changed.connect(self._on_timeline_current_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(2)
        layout.addLayout(head)
        layout.addLayout(grid, 1)
        layout.addWidget(self.timeline)

    # ---- data -------------------------------------------------------------------------------------
    def set_data(self, data: TraceData | None, look: FamilyLook | None) -> None:
        """Show another trace (None: empty); the cursor goes to its last state."""
        self.data, self.look = data, look
        if data is None or look is None:
            self.timeline.set_states([], [], [])
            self.info.setText("")
            return
        self.title.setText(data.title)
        self.timeline.set_flag_group(None)
        self.timeline.set_capacity(data.expected)
        shared = 0
        if data.branch_step is not None:
            shared = sum(1 for r in data.records if r.sup_step <= data.branch_step)
        self.timeline.set_shared(shared)
        self.refresh(follow=True)
        if len(data):
            self.timeline.set_current(len(data) - 1)
        self.show_state(self.timeline.current)

    def refresh(self, follow: bool | None = None) -> None:
        """New states (or a finished run) arrived: update the timeline; the cursor follows the newest
        state if it was on the last one (or `follow` says so)."""
        data = self.data
        if data is None:
            return
        was_last = self.timeline.current >= self.timeline.count() - 1
        a = data.arrays()
        self.timeline.set_capacity(max(data.expected, len(data)))
        self.timeline.set_states(a["sup_step"], a["cycle"], a["is_y"])
        self.timeline.set_flag_group(data.halt_step())
        self._ranges = {(name, kind): data.cell_range(name, kind) for name in HEAT_MAPS for kind in ("y", "z")}
        if (was_last if follow is None else follow) and len(data):
            self.timeline.set_current(len(data) - 1)
        self.show_state(self.timeline.current)

    @property
    def current(self) -> int:
        return self.timeline.current

    def set_current(self, index: int) -> None:
        self.timeline.set_current(index)

    def _on_timeline_current_changed(self, index: int) -> None:
        self.show_state(index)
        self.current_changed.emit(index)

    # ---- drawing ----------------------------------------------------------------------------------
    def show_state(self, index: int) -> None:
        data, look = self.data, self.look
        if data is None or look is None:
            return
        shown = (id(data), id(look), data.inputs is None or data.inputs.tobytes())
        if shown != self._input_shown:  # the input changes with the trace (or a drawing), not the cursor
            apply_state(self.input_view, input_state(data, look))
            self._input_shown = shown
        if not 0 <= index < len(data):
            self._drawn.clear()
            for key in ("y", "z"):
                apply_state(self.views[key], decoded_state(data, None, look, False))
            self.projection_view.set_colors(None, data.shape)
            self.norm_view.set_colors(None, data.shape)
            self.info.setText("no states yet")
            return
        record = data.records[index]
        iy, iz = data.latest("y", index), data.latest("z", index)
        # One step of the cursor changes y or z, not both: redraw only the view whose state changed.
        base = (id(data), id(look), id(data.inputs), len(data.halting))
        for key, i, verdicts in (("y", iy, True), ("z", iz, False)):
            if self._drawn.get(key) != (base, i):
                apply_state(self.views[key], decoded_state(data, i, look, verdicts))
                self._drawn[key] = (base, i)
        for view in (self.projection_view, self.norm_view):
            view.set_box(look.box)
        fitted = iz is not None and data.records[iz].projection is not None
        if self._drawn.get("projection") != (base, iz, fitted):
            self.projection_view.set_colors(projection_colors(data, iz), data.shape)
            self._drawn["projection"] = (base, iz, fitted)
        name = self.heat_box.currentData() or "cell_delta"
        values = getattr(record, name)
        self.norm_view.set_colors(None if values is None else heat_colors(
            values.astype(np.float32).reshape(data.shape), *self._ranges.get((name, record.kind), (0, 1))), data.shape)
        self._set_heat_captions(record.kind)
        dot = "\u25cf "
        for key, i in (("y", iy), ("z", iz)):
            name = "-" if i is None else data.records[i].name
            self.captions[key].setText(f"{dot if i == index else ''}{CAPTIONS[key]}  {name}")
        fitted = "" if record.projection is not None else " (after the run)"
        self.captions["projection"].setText(CAPTIONS["projection"] + fitted)
        self.info.setText(self.describe(index))

    def set_picture_mode(self, on: bool) -> None:
        """For exported pictures: the heat map's caption in place of its chooser (a combo box in a
        picture is a control, not a figure)."""
        self.captions["norm"].setText(self.heat_box.currentText())
        self.heat_head.setCurrentIndex(1 if on else 0)

    def _set_heat_captions(self, kind: str) -> None:
        for i, text in enumerate((f"|d{kind}| per cell", f"|{kind}| per cell")):
            self.heat_box.setItemText(i, text)
        self.captions["norm"].setText(self.heat_box.currentText())

    def describe(self, index: int) -> str:
        data = self.data
        r = data.records[index]
        parts = [f"state {index + 1}/{len(data)}", r.name, f"changed {r.changed}", f"|d{r.kind}| {r.delta:.3g}"]
        if r.cell_accuracy == r.cell_accuracy:
            parts.append(f"cells right {r.cell_accuracy:.1%}" + (" (exact)" if r.exact else ""))
        halt = next((h for h in data.halting if h.sup_step == r.sup_step), None)
        if halt is not None:
            parts.append(f"p(halt) after step {r.sup_step}: {halt.p_halt:.2f}")
        return "   ".join(parts)


class PlaybackBar(QWidget):
    """Play / pause at a chosen speed, loop, link the two timelines, and pick the branch shown beside."""

    play_toggled = Signal(bool)
    fps_changed = Signal(int)
    branch_picked = Signal(int)  # index into the panel's list of traces (-1: none)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.play_button = QToolButton()
        self.play_button.setObjectName("play_button")
        self.play_button.setCheckable(True)
        # The style's media icons, not the text glyphs U+25B6 / U+23F8: DejaVu Sans (the font the
        # bundle and most Linux desktops fall back to) has no U+23F8, which drew as a box.
        self.play_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._show_playing(False)
        self.play_button.setToolTip("Play the recursion state by state (Space)")
        self.fps = QSpinBox()
        self.fps.setRange(1, 60)
        self.fps.setValue(8)
        self.fps.setSuffix(" states/s")
        self.loop = QCheckBox("Loop")
        self.link = QCheckBox("Link timelines")
        self.link.setChecked(True)
        self.link.setToolTip("Move the branch's cursor with the trace's (the states they share line up)")
        self.branch_box = QComboBox()
        self.branch_box.setObjectName("branch_box")
        self.branch_box.setMinimumContentsLength(20)  # whole titles in the popup, never a wider window
        self.branch_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.hint = QLabel("keys: \u2190 \u2192 state, \u2191 \u2193 step, Home / End")
        self.hint.setEnabled(False)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 0, 6, 0)
        for widget in (self.play_button, self.fps, self.loop, self.link):
            row.addWidget(widget)
        row.addSpacing(12)
        row.addWidget(QLabel("Beside it:"))
        row.addWidget(self.branch_box)
        row.addStretch(1)
        row.addWidget(self.hint)
        self.play_button.toggled.connect(self._on_play_button_toggled)
        self.fps.valueChanged.connect(self.fps_changed)
        self.branch_box.activated.connect(lambda i: self.branch_picked.emit(self.branch_box.itemData(i)))
        self.set_branches([], -1)

    def _on_play_button_toggled(self, on: bool) -> None:
        self._show_playing(on)
        self.play_toggled.emit(on)

    def _show_playing(self, on: bool) -> None:
        pixmap = QStyle.StandardPixmap.SP_MediaPause if on else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(pixmap))
        self.play_button.setText("Pause" if on else "Play")

    def set_branches(self, titles: list[tuple[int, str]], current: int) -> None:
        """(trace index, title) per branch; `current` is the one shown (-1: none)."""
        box = self.branch_box
        box.blockSignals(True)
        box.clear()
        box.addItem("no branch yet" if not titles else "nothing", -1)
        for index, title in titles:
            box.addItem(title, index)
        box.setCurrentIndex(max(0, box.findData(current)))
        box.blockSignals(False)


def splitter(name: str, *widgets: QWidget) -> QSplitter:
    """A vertical splitter called `name` holding `widgets`."""
    splitter = QSplitter(Qt.Orientation.Vertical)
    splitter.setObjectName(name)
    for widget in widgets:
        splitter.addWidget(widget)
    return splitter


def column(*items: tuple[QWidget, int]) -> QWidget:
    """A widget stacking (widget, stretch) items top to bottom, without margins."""
    column = QWidget()
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget, stretch in items:
        layout.addWidget(widget, stretch)
    return column
