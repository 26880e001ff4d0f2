"""The Inspect area: step through every update of a trained model's recursion on a puzzle.

Pick a model (a demo, a run's checkpoint, a file) and a puzzle; Run streams the states in. The trace's
strip shows the input, y and z decoded, z projected, the norm map over a timeline; the plots below
follow the cursor. Intervene (edit an input or y cell, add noise to z) and Branch: the branch runs from
the end of the step under the cursor and shows beside the original. Export the trace (HDF5), the view
(PNG / SVG), a GIF, the scalars (CSV). Opens *.trace.h5 / *.pt files and runs' probe traces. The parts
live in this package's other modules (actions, session, views, player, ...).
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QTimer, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QLineEdit,
    QStackedWidget,
    QVBoxLayout,
)

from trm_engine.trace.render import canvas_shape

from ... import dialogs, settings
from ...panel import FileKind, Panel, PanelSpec
from ...theme import PLOT_COLORS
from ...widgets.trace_plots import TracePlots
from .data import TraceData
from .intervene import InterveneBar
from .look import FamilyLook, family_look
from .models import ModelChoice, list_demo_models, run_models
from .player import Player
from .probes import ProbeBar
from .session import InspectSession, PuzzleSource
from .setup import FILE_ITEM, SetupBar, StartPage
from .views import PlaybackBar, TraceStrip, column, splitter

TRACE_PATTERNS, CHECKPOINT_PATTERNS = ("*.trace.h5",), ("*.pt",)
# While a run streams in, what arrived is drawn at most every REDRAW_MS, except the first and the last
# supervision step, drawn at once. Drawing is Python work that holds the GIL, which the recursion's many
# small torch operations need between them, and on a 2-core CPU it takes a core from the recursion: at
# 10 redraws a second a run took twice as long; at a step's pace (about 3 a second for the paper-size
# model) the inspector's own cost was still 6% of the GUI thread's CPU during a run.
REDRAW_MS = 1000


class InspectPanel(Panel):
    """See the module docstring."""

    trace_shown = Signal(object)  # TraceData now in the main strip
    step_shown = Signal(int)  # a supervision step finished and is drawn (the benchmark's mark)

    def __init__(self, context, parent=None):
        super().__init__(context, parent)
        from .actions import InspectActions  # menus, exports and file dialogs
        self.session = InspectSession(context, self)
        self.traces: list[TraceData] = []  # [0] the run (or file); then its branches
        self.beside = -1  # index in self.traces of the trace in the second strip
        self.look: FamilyLook | None = None
        self.source: PuzzleSource | None = None
        self.drawing = False  # the main strip shows a puzzle not run yet, editable in the input view
        self.active: TraceStrip | None = None  # the strip the user last moved or clicked in: what Branch
        # and the exports act on (a strip whose cursor only followed the other, linked, is not made active)
        self._following = False
        self._run_when_loaded = self._welcome = False
        self._drawn_at, self._shown_step = 0.0, 0  # the last redraw: when, and the last step it showed
        self._look_shape: tuple[int, int] | None = None

        self.start_page = StartPage()
        self.setup = SetupBar()
        self.probe_bar = ProbeBar()
        self.probe_bar.hide()
        self.strip, self.branch_strip = TraceStrip("trace"), TraceStrip("branch")
        self.strip.setObjectName("trace_strip")
        self.branch_strip.setObjectName("branch_strip")
        self.branch_strip.hide()
        self.playback = PlaybackBar()
        self.plots = TracePlots()
        self.intervene = InterveneBar()
        self.strips = splitter("strips", self.strip, self.branch_strip)
        self.splitter = splitter("inspect_splitter", self.strips, column((self.playback, 0), (self.plots, 1)))
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setSizes([560, 230])
        self.pages = QStackedWidget()
        self.pages.addWidget(self.start_page)
        self.pages.addWidget(column((self.setup, 0), (self.probe_bar, 0), (self.splitter, 1), (self.intervene, 0)))
        QVBoxLayout(self).addWidget(self.pages)
        self.layout().setContentsMargins(0, 0, 0, 0)
        self.setAcceptDrops(True)

        self.redraw_timer = QTimer(self)
        self.redraw_timer.setSingleShot(True)
        self.redraw_timer.timeout.connect(self.redraw)
        self.player = Player(self)
        self.play_timer = self.player.timer
        self.actions_ = InspectActions(self)
        self._connect()
        self.refresh_models()
        self._on_theme_changed(context.theme.scheme)

    def _connect(self) -> None:
        s = self.session
        s.model_loaded.connect(self._on_session_model_loaded)
        s.model_failed.connect(lambda text: dialogs.show_error(self, "Cannot load the model", text))
        s.trace_started.connect(self._on_session_trace_started)
        s.states_arrived.connect(lambda _data: self._schedule_redraw())
        s.step_finished.connect(self._on_session_step_finished)
        s.trace_finished.connect(self._on_session_trace_ended)
        s.trace_stopped.connect(self._on_session_trace_ended)
        s.trace_failed.connect(self._on_session_trace_ended)
        s.trace_read.connect(self._on_session_trace_read)
        s.read_failed.connect(lambda path, text: dialogs.show_error(self, "Cannot open trace", text))
        self.start_page.demo_picked.connect(self.inspect_demo)
        self.setup.model_picked.connect(self._on_setup_model_picked)
        self.setup.puzzle_picked.connect(self.actions_.pick_puzzle)
        self.setup.run_clicked.connect(self.run)
        self.setup.stop_clicked.connect(self.session.stop)
        for strip in (self.strip, self.branch_strip):
            strip.current_changed.connect(lambda i, s=strip: self._on_strip_current_changed(s, i))
            strip.cell_clicked.connect(lambda view, r, c, s=strip: self._on_strip_cell_clicked(s, view, r, c))
        self.strip.input_view.cells_edited.connect(self.actions_.draw_cells)
        self.plots.position_clicked.connect(lambda i: (self.active or self.strip).set_current(i))
        self.playback.play_toggled.connect(self.set_playing)
        self.playback.branch_picked.connect(self.show_beside)
        self.intervene.value_picked.connect(self._on_intervene_value_picked)
        self.intervene.branch_clicked.connect(self.actions_.branch)
        self.probe_bar.trace_picked.connect(self.session.read)
        self.probe_bar.closed.connect(self.probe_bar.hide)
        self.context.theme.theme_changed.connect(self._on_theme_changed)

    # ---- models -----------------------------------------------------------------------------------
    def refresh_models(self) -> None:
        demos = list_demo_models()
        self.start_page.set_demos(demos)
        self.setup.set_models(demos + run_models(settings.locations().runs), self.session.choice)
        if self.session.choice is not None:
            self.setup.select_model(self.session.choice)  # a checkpoint file stays listed

    def inspect_demo(self, choice: ModelChoice) -> None:
        """Load a demo model and run it on its first example puzzle: a new user's first minute."""
        self._run_when_loaded = True
        self.load_model(choice)

    def load_model(self, choice: ModelChoice) -> None:
        self.pages.setCurrentIndex(1)
        self.setup.select_model(choice)
        self.setup.model_info.setText(f"loading {choice.title}\u2026")
        self.session.load(choice)

    def _on_setup_model_picked(self, data) -> None:
        if data == FILE_ITEM:
            self.actions_.open_checkpoint()
        else:
            self.load_model(data)

    def _on_session_model_loaded(self, choice: ModelChoice) -> None:
        from .puzzles import puzzle_items
        cfg = self.session.model.cfg
        self.look = family_look(self.session.family, cfg.vocab_size, canvas_shape(cfg.seq_len))
        self.intervene.set_values(self.look.palette, self.look.user_values)
        self.setup.steps.setValue(cfg.halt_max_steps)
        self.intervene.steps.setValue(cfg.halt_max_steps)
        self.setup.show_model(choice, self.session.family, self.session.model)
        self.setup.set_puzzles(puzzle_items(self.session.family, cfg))
        if self.setup.puzzle_box.currentData() is not None:
            self.actions_.pick_puzzle(self.setup.puzzle_box.currentData())
        if self._run_when_loaded and self.source is not None:
            self._run_when_loaded = False
            self.run()
        self._update_intervene()  # a trace read from a file can branch once its model is loaded

    # ---- puzzles ----------------------------------------------------------------------------------
    def set_source(self, source: PuzzleSource, draw: bool | None = None) -> None:
        """Show `source` as the puzzle to run (editable in the input view for Sudoku and mazes)."""
        self.actions_.show_puzzle(source, draw)

    # ---- running ----------------------------------------------------------------------------------
    def run(self) -> None:
        if self.session.model is None:
            dialogs.show_info(self, "No model", "Choose a model first (a demo model, a run or a checkpoint file).")
            return
        if self.source is None or self.session.busy:
            return
        title = f"{self.session.choice.title if self.session.choice else 'model'} on {self.source.name}"
        self.session.run(self.source, self.setup.steps.value(), self.setup.level.currentData(), title)

    def _on_session_trace_started(self, data: TraceData) -> None:
        self.setup.set_running(True)
        self._update_intervene()
        if data.branch_step is None:
            self.drawing = False
            self.strip.input_view.editable = False
            self._show_main(data)
        else:
            self.traces.append(data)
            self.show_beside(len(self.traces) - 1)

    def _on_session_step_finished(self, data: TraceData) -> None:
        # The first and the last step of a run are drawn at once, however soon they come.
        if self._shown_step == 0 or len(data) >= data.expected:
            self.redraw()
        else:
            self._schedule_redraw()

    def _schedule_redraw(self) -> None:
        """Redraw REDRAW_MS after the last redraw (at once if that is past), unless one is due already."""
        if not self.redraw_timer.isActive():
            wait = REDRAW_MS - (time.monotonic() - self._drawn_at) * 1000
            self.redraw_timer.start(max(0, int(wait)))

    def _on_session_trace_ended(self, data: TraceData | str) -> None:
        self.setup.set_running(False)
        self._update_intervene()
        if isinstance(data, str):  # the run failed
            return dialogs.show_error(self, "The run failed", data)
        self.redraw()
        self.status_posted.emit(f"{data.title}: {len(data)} states over {len(data.halting)} supervision steps")

    def redraw(self) -> None:
        """Draw what has streamed in: timelines, views and plots of both strips."""
        self.redraw_timer.stop()
        self._drawn_at = time.monotonic()
        for slot, strip in enumerate((self.strip, self.branch_strip)):
            if strip.data is not None and strip.isVisibleTo(self):
                strip.refresh()
                self.plots.set_series(slot, strip.data.series())
        self.plots.set_x_range(max([len(t) for t in self.traces] + [t.expected for t in self.traces] + [1]))
        step = self.traces[-1].halting[-1].sup_step if self.traces and self.traces[-1].halting else 0
        if step > self._shown_step:
            self._shown_step = step
            self.step_shown.emit(step)

    # ---- showing traces ---------------------------------------------------------------------------
    def _show_main(self, data: TraceData) -> None:
        self.pages.setCurrentIndex(1)
        self.traces, self.beside, self._shown_step = [data], -1, 0
        self.intervene.clear()
        self.branch_strip.hide()
        self.branch_strip.set_data(None, None)
        self.plots.clear_slot(1)
        self.playback.set_branches([], -1)
        if self.look is None or self.look.family != data.family or self._look_shape != data.shape:
            self.look = family_look(data.family, int(data.trace.model_config["vocab_size"]), data.shape)
            self.intervene.set_values(self.look.palette, self.look.user_values)
        self._look_shape = data.shape
        self.strip.set_data(data, self.look)
        self.active = self.strip
        self.redraw()
        self._update_intervene()
        if not self.drawing:
            self.focus_timeline()
        self.trace_shown.emit(data)

    def show_beside(self, index: int) -> None:
        """Show trace `index` (a branch) in the second strip; -1 hides it."""
        self.beside = index
        titles = [(i, "\u2003" * (t.depth - 1) + t.title) for i, t in enumerate(self.traces) if i > 0]
        self.playback.set_branches(titles, index)
        if not 0 < index < len(self.traces):
            self.branch_strip.hide()
            self.plots.clear_slot(1)
            return
        self.branch_strip.set_data(self.traces[index], self.look)
        if self.branch_strip.isHidden():
            self.branch_strip.show()
            self.strips.setSizes([1000, 1000])  # side by side at the same size
        self.redraw()

    def _on_session_trace_read(self, traces: list[TraceData]) -> None:
        keep = self.strip.current if self.probe_bar.isVisible() and self.traces else None
        self._show_main(traces[0])
        self.drawing = False
        self.strip.input_view.editable = False
        if keep is not None:
            self.strip.set_current(keep)  # stepping through checkpoints: stay at the same state
        if len(traces) > 1:  # the file's branches: listed beside the main trace, the first one shown
            self.traces.extend(traces[1:])
            self.show_beside(1)
            self.active = self.strip
        self._update_intervene()

    # ---- cursor, playback -------------------------------------------------------------------------
    def _on_strip_current_changed(self, strip: TraceStrip, index: int) -> None:
        slot = 0 if strip is self.strip else 1
        self.plots.set_cursor(slot, index)
        if self._following:
            return  # moved by the linked strip: the row the user works on stays the active one
        self.active = strip
        other = self.branch_strip if slot == 0 else self.strip
        if self.playback.link.isChecked() and other.isVisibleTo(self) and other.current != index:
            self._following = True
            try:
                other.set_current(index)
            finally:
                self._following = False
        self._update_intervene()
        if strip.data is not None and 0 <= index < len(strip.data):
            step = strip.data.records[index].sup_step
            self.intervene.set_step(step)
            total = strip.data.halting[-1].sup_step if strip.data.halting else 0
            self.intervene.steps.setValue(max(1, total - step) if total > step else self.setup.steps.value())

    def set_playing(self, on: bool) -> None:
        self.player.set_playing(on)

    # ---- interventions ----------------------------------------------------------------------------
    def _on_strip_cell_clicked(self, strip: TraceStrip, view: str, row: int, col: int) -> None:
        self.active = strip
        if not (self.drawing and strip is self.strip) and strip.data is not None:
            self.intervene.set_cell(view, row, col, strip.data.shape[1])

    def _update_intervene(self) -> None:
        """Intervening needs the model's states after the step under the cursor: say so up front when
        the shown trace has none (it was read from a file) rather than after the edits are made."""
        data = (self.active or self.strip).data
        if self.session.busy:
            self.intervene.set_unavailable("")
        elif data is not None and len(data) and (source := data.fork_source(self.cursor_step())).from_file:
            self.intervene.set_unavailable(self.session.branch_problem(source, self.cursor_step()) or None)
        else:
            self.intervene.set_unavailable(None)

    def cursor_step(self) -> int:
        strip = self.active or self.strip
        if strip.data is None or not 0 <= strip.current < len(strip.data):
            return 0
        return strip.data.records[strip.current].sup_step

    def _on_intervene_value_picked(self, value: int) -> None:
        if self.drawing:
            view = self.strip.input_view
            view.enter_value(value) if self.look.digit_keys == "enter" else view.pick_value(value)
        elif self.look is not None and not self.intervene.add_edit(self.look.token(value)):
            self.status_posted.emit("Click a cell of the input or of y first")

    # ---- Panel interface --------------------------------------------------------------------------
    def open_path(self, path: Path, kind: str) -> bool:
        if kind == "checkpoint":
            self.load_model(ModelChoice(Path(path).name, Path(path), "file"))
            return True
        self.pages.setCurrentIndex(1)
        self.probe_bar.hide()
        self.session.read(Path(path))
        return True

    def menu_actions(self) -> dict[str, list[QAction | None]]:
        return self.actions_.menu

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self.actions_.drag_entered(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self.actions_.dropped(event)

    def save_state(self, store: QSettings) -> None:
        store.setValue("splitter", self.splitter.saveState())
        store.setValue("fps", self.playback.fps.value())
        store.setValue("level", self.setup.level.currentIndex())

    def restore_state(self, store: QSettings) -> None:
        if not store.value("welcomed", False, type=bool):
            # A new user's first start: open on this area, whose first offer is "Inspect a demo model"
            # (after the window's own restore, which would otherwise pick the first area).
            store.setValue("welcomed", True)
            self._welcome = True  # unless something else picks an area first
            getattr(self.window(), "area_changed", self.status_posted).connect(self._on_window_area_changed)
            QTimer.singleShot(0, self._on_first_start_timer_timeout)
        self.splitter.restoreState(store.value("splitter", QByteArray()))  # an empty state changes nothing
        self.playback.fps.setValue(int(store.value("fps", 8)))
        self.setup.level.setCurrentIndex(int(store.value("level", 0)))

    def showEvent(self, event) -> None:
        """Each time the area is shown: list the runs trained since (their checkpoints are models to
        pick), and give the timeline the keyboard, so the arrow keys, Home / End and Space work at once."""
        super().showEvent(event)
        if not self.session.busy:
            self.refresh_models()
        QTimer.singleShot(0, self.focus_timeline)

    def focus_timeline(self) -> None:
        """The keyboard to the active strip's timeline, unless the user is typing or drawing in the area."""
        focus = self.window().focusWidget()
        if not self.isVisible() or self.pages.currentIndex() != 1:
            return
        typing = isinstance(focus, (QAbstractSpinBox, QLineEdit)) or (self.drawing and focus is self.strip.input_view)
        if not (typing and self.isAncestorOf(focus)):
            (self.active or self.strip).timeline.setFocus()

    def _on_window_area_changed(self, _key: str) -> None:
        self._welcome = False

    def _on_first_start_timer_timeout(self) -> None:
        if self._welcome and hasattr(self.window(), "show_area"):
            self.window().show_area("inspect")

    def _on_theme_changed(self, scheme: str) -> None:
        self.plots.set_scheme(PLOT_COLORS.get(scheme, PLOT_COLORS["light"]))


PANEL = PanelSpec(
    key="inspect", title="Inspect", order=30, create=InspectPanel, icon="inspect",
    file_kinds=(FileKind("trace", "Traces", TRACE_PATTERNS, "inspect"),
                FileKind("checkpoint", "Checkpoints", CHECKPOINT_PATTERNS, "inspect")),
)
