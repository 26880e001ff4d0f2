"""The Inspect area's menu actions and the file dialogs behind them: open a checkpoint, a run's probe
traces, a puzzle file or a dataset row; export the trace, the view, a GIF, the scalars. Dialogs go
through trm_lab.dialogs; slow work (reading a dataset, writing a trace) runs in jobs.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent

from trm_engine.errors import TrmError

from ... import dialogs, settings
from ...panel import Panel, make_action
from ...workers import Job
from .data import TraceData
from .export import (
    EXPORTS,
    export_csv,
    export_gif,
    export_picture,
    export_stem,
    picture_mode,
    trace_of,
    with_suffix,
    write_trace_file,
)


class InspectActions:
    """Builds the panel's QActions (`menu`) and runs what they ask for."""

    def __init__(self, panel: Panel):  # the InspectPanel that owns these actions
        self.panel = panel
        self.job: Job | None = None  # the latest export or dataset job (tests wait on it)
        a = self._action
        self.run_action = a("&Run", panel.run, "Ctrl+R", "Run the model on the puzzle")
        self.stop_action = a("S&top", panel.session.stop, None, "Stop the run (what was recorded stays)")
        self.branch_action = a("&Branch", self.branch, "Ctrl+B", "Continue from the cursor's step with the edits")
        self.play_action = a("&Play / Pause", lambda: panel.set_playing(not panel.play_timer.isActive()), "Space")
        self.play_action.setShortcutContext(self.play_action.shortcutContext().WidgetWithChildrenShortcut)
        panel.addAction(self.play_action)
        self.models_action = a("Refresh &Models", panel.refresh_models, None, "List demo models and runs again")
        self.checkpoint_action = a("Open &Checkpoint\u2026", self.open_checkpoint)
        self.probes_action = a("Open Run's &Probe Traces\u2026", self.open_probes)
        self.exports = {
            "trace": a("Export &Trace (HDF5)\u2026", self.export_trace, "Ctrl+Shift+E"),
            "picture": a("Export &View (PNG, SVG)\u2026", self.export_picture),
            "gif": a("Export Recursion as &GIF\u2026", self.export_gif),
            "csv": a("Export Scalars as &CSV\u2026", self.export_csv),
        }
        self.menu = {
            "File": [self.checkpoint_action, self.probes_action, None, *self.exports.values()],
            "Edit": [self.run_action, self.stop_action, self.branch_action],
            "View": [self.play_action, self.models_action],
        }
        page = panel.start_page
        page.checkpoint_clicked.connect(self.open_checkpoint)
        page.trace_clicked.connect(self.open_trace)
        page.probes_clicked.connect(self.open_probes)

    def _action(self, text: str, slot, keys=None, tip: str = "") -> QAction:
        return make_action(self.panel, text, slot, keys, tip)

    # ---- opening ----------------------------------------------------------------------------------
    @staticmethod
    def _droppable(name: str) -> bool:
        return bool(name) and name.lower().endswith((".trace.h5", ".pt"))

    def drag_entered(self, event: QDragEnterEvent) -> None:
        if any(self._droppable(u.toLocalFile()) for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropped(self, event: QDropEvent) -> None:
        """Trace files and checkpoints dropped on the area open as File > Open would."""
        for url in event.mimeData().urls():
            if self._droppable(url.toLocalFile()):
                self.panel.context.open_path(Path(url.toLocalFile()))
        event.acceptProposedAction()

    # ---- puzzles ----------------------------------------------------------------------------------
    def pick_puzzle(self, data: tuple) -> None:
        """The setup bar's puzzle box: a file, the Puzzles editor's puzzle, a blank one, or a dialog."""
        from .puzzles import blank_grid, source_from_editor, source_from_file
        from .session import PuzzleSource
        panel = self.panel
        family, cfg = panel.session.family, panel.session.model.cfg
        try:
            if data[0] == "file":
                panel.set_source(source_from_file(data[1], family))
            elif data[0] == "editor":
                panel.set_source(source_from_editor(getattr(panel.window(), "panels", {}).get("puzzles"), family))
            elif data[0] == "blank":
                panel.set_source(PuzzleSource("drawn", grid=blank_grid(family, cfg)), draw=True)
            elif data[0] == "open":
                self.open_puzzle_file()
            elif data[0] == "dataset":
                self.open_dataset_row()
        except TrmError as exc:  # a puzzle that does not fit the model: say why, keep the last one
            dialogs.show_error(panel, "Cannot use this puzzle", str(exc))

    def show_puzzle(self, source, draw: bool | None = None) -> None:
        """Show `source` in the main strip as the puzzle to run, not run yet (editable in the input view
        for Sudoku and mazes, or when `draw` says so); the session starts solving it at once."""
        from trm_engine.trace.tracer import Trace
        panel = self.panel
        family, model = panel.session.family, panel.session.model
        tokens = source.tokens(family, model.cfg)
        panel.source = source
        panel.session.prepare(source)
        preview = TraceData(Trace(family, {}, tokens.astype("uint8"), None, dict(vars(model.cfg)), "inner"),
                            f"{source.name} (not run yet)")
        panel.drawing = family != "arc" if draw is None else draw
        panel._show_main(preview)
        view, look = panel.strip.input_view, panel.look
        view.editable, view.digit_keys = panel.drawing, look.digit_keys
        view.set_tool("select" if look.digit_keys == "enter" else "paint")

    def draw_cells(self, edit) -> None:
        """Cells drawn in the input view of a puzzle not run yet: they become the puzzle to run."""
        from .session import PuzzleSource
        panel = self.panel
        if not panel.drawing or panel.look is None or not panel.traces:
            return
        data = panel.traces[0]
        tokens = data.input_tokens().copy()
        width = data.shape[1]
        for r, c, v in zip(edit.rows, edit.cols, edit.values):
            tokens[r * width + c] = panel.look.token(v)
        data.inputs = tokens
        grid = panel.look.values(tokens, data.shape)
        panel.source = PuzzleSource("drawn" if panel.source is None else panel.source.name, grid=grid)
        panel.strip.show_state(panel.strip.current)

    def open_checkpoint(self) -> None:
        path = dialogs.ask_open_path(self.panel, "Open checkpoint", "Checkpoints (*.pt)", settings.locations().runs)
        if path is not None:
            self.panel.context.open_path(path)

    def open_trace(self) -> None:
        path = dialogs.ask_open_path(self.panel, "Open trace", "Traces (*.trace.h5)", settings.locations().data)
        if path is not None:
            self.panel.context.open_path(path)

    def open_probes(self) -> bool:
        """A run folder (or its traces/ folder): step through its probe traces by training step."""
        from trm_engine.trace.probes import probe_files
        folder = dialogs.ask_directory(self.panel, "Open a run's probe traces", settings.locations().runs)
        if folder is None:
            return False
        traces = folder / "traces" if (folder / "traces").is_dir() else folder
        probes = probe_files(traces)
        if not probes:
            dialogs.show_error(self.panel, "No probe traces", f"{traces}: no probe traces (probe<k>_step<N>.trace.h5); "
                               "runs record them when trained with probe_traces > 0")
            return False
        panel = self.panel
        panel.pages.setCurrentIndex(1)
        panel.probe_bar.show()
        panel.probe_bar.set_probes(traces.parent.name if traces.name == "traces" else traces.name, probes)
        return True

    def open_puzzle_file(self) -> None:
        from ..puzzles import PUZZLE_PATTERNS
        from .puzzles import source_from_file
        path = dialogs.ask_open_path(self.panel, "Puzzle to inspect", f"Puzzles ({' '.join(PUZZLE_PATTERNS)})",
                                     settings.locations().puzzles)
        if path is not None:
            try:
                self.panel.set_source(source_from_file(path, self.panel.session.family))
            except TrmError as exc:
                dialogs.show_error(self.panel, "Cannot use this puzzle", str(exc))

    def open_dataset_row(self) -> None:
        from trm_engine.data.dataset import PuzzleDataset
        path = dialogs.ask_open_path(self.panel, "Dataset", "Datasets (*.h5 *.hdf5)", settings.locations().datasets)
        if path is None:
            return
        self.job = Job(PuzzleDataset.open, path, name=f"Open {path.name}")
        self.job.finished.connect(self._on_dataset_job_finished)
        self.job.failed.connect(lambda text: dialogs.show_error(self.panel, "Cannot open dataset", text))
        self.panel.context.track_job(self.job, f"Opening {path.name}")
        self.job.start()

    def _on_dataset_job_finished(self, dataset) -> None:
        from .puzzles import source_from_dataset
        panel = self.panel
        if dataset.family != panel.session.family or dataset.seq_len != panel.session.model.cfg.seq_len:
            dialogs.show_error(panel, "Cannot use this dataset", f"{dataset.path.name} holds {dataset.family} puzzles "
                               f"of {dataset.seq_len} tokens; the model takes {panel.session.family} puzzles of "
                               f"{panel.session.model.cfg.seq_len}")
            return
        split = "test" if "test" in dataset.splits else dataset.splits[0]
        count = dataset.split(split).num_examples
        answer = dialogs.ask_text(panel, "Dataset row", f"Which {split} puzzle (1..{count})?", "1")
        if answer is None:
            return
        try:
            panel.set_source(source_from_dataset(dataset, int(answer) - 1, split))
        except (TrmError, ValueError) as exc:
            dialogs.show_error(panel, "Cannot use this puzzle", str(exc))

    # ---- branching --------------------------------------------------------------------------------
    def branch(self) -> TraceData | None:
        """A branch from the state under the cursor of the row the user works in (the main trace or any
        branch), after the step the cursor is in, with the edits."""
        panel = self.panel
        strip = panel.active or panel.strip
        picked, step = strip.data, panel.cursor_step()
        if picked is None or panel.session.busy or panel.drawing:
            return None
        source = picked.fork_source(step)  # at or before a branch's fork its states are its parent's
        problem = panel.session.branch_problem(source, step)
        if problem:
            dialogs.show_info(panel, "Cannot branch here", problem[0].upper() + problem[1:] + ".")
            return None
        try:
            panel.session.snapshot(source, step)
        except TrmError as exc:
            dialogs.show_error(panel, "Cannot branch here", str(exc))
            return None
        branch_id = max(t.branch_id for t in panel.traces) + 1
        parent = "main" if source.branch_id == 0 else source.name
        title = f"branch {branch_id} of {parent}, after step {step}: {panel.intervene.describe(source.shape[1])}"
        if source.from_file:
            title += " (from the file's float16 states)"
        data = panel.session.branch(source, step, panel.intervene.edits, panel.intervene.steps.value(), branch_id,
                                    title)
        panel.intervene.clear()
        return data

    # ---- exporting --------------------------------------------------------------------------------
    def _shown(self) -> TraceData | None:
        strip = self.panel.active or self.panel.strip
        data = strip.data
        if data is None or not len(data):
            dialogs.show_info(self.panel, "Nothing to export", "Run a model on a puzzle (or open a trace) first.")
            return None
        return data

    def _ask(self, kind: str, data: TraceData, stem: str = "") -> Path | None:
        title, filters, suffix = EXPORTS[kind]
        stem = stem or export_stem(self.panel.traces, data)
        path = dialogs.ask_save_path(self.panel, title, filters, settings.locations().data / f"{stem}{suffix}")
        return None if path is None else with_suffix(path, suffix)

    def _which(self, data: TraceData) -> list[TraceData] | None:
        """Which traces to export: with branches, ask (the focused row first); [main, *branches] = all."""
        traces = self.panel.traces
        if len(traces) < 2 or any(not len(t) for t in traces):
            return [data]
        choices = [t for t in traces if t is data] + [t for t in traces if t is not data]
        items = [f"{t.label()}: {t.title}" if t.branch_step is None else t.title for t in choices]
        items.append(f"all {len(traces)} traces in one file (the main trace, its branches in /branches)")
        index = dialogs.ask_choice(self.panel, "Export trace", "Which trace?", items)
        if index is None:
            return None
        return list(traces) if index == len(choices) else [choices[index]]

    def export_trace(self) -> None:
        data = self._shown()
        which = None if data is None else self._which(data)
        if not which:
            return
        path = self._ask("trace", which[0], export_stem(self.panel.traces, which[0], all_of=len(which) > 1))
        if path is None:
            return
        session = self.panel.session
        main = self.panel.traces[0] if len(which) > 1 else which[0]
        checkpoint = session.choice.checkpoint if session.choice is not None and not main.path else None
        branches = [trace_of(t) for t in which[1:]] if len(which) > 1 else []
        self.job = Job(write_trace_file, path, trace_of(main), checkpoint, int(session.body.get("step", 0)),
                       branches, name=f"Write {path.name}")
        self.job.finished.connect(lambda p: self.panel.status_posted.emit(f"Wrote {p}"))
        self.job.failed.connect(lambda text: dialogs.show_error(self.panel, "Cannot export the trace", text))
        self.panel.context.track_job(self.job, f"Writing {path.name}")
        self.job.start()

    def export_picture(self) -> None:
        data = self._shown()
        path = None if data is None else self._ask("picture", data)
        if path is not None:
            self._write(lambda: export_picture(self.panel.strips, path), path)

    def export_gif(self) -> None:
        """One frame per y update of the shown strip (its views and timeline, as drawn)."""
        data = self._shown()
        path = None if data is None else self._ask("gif", data)
        if path is None:
            return
        strip = self.panel.active or self.panel.strip
        link, keep = self.panel.playback.link.isChecked(), strip.current
        self.panel.playback.link.setChecked(False)
        try:
            frames = []
            with picture_mode(strip):
                for i in [i for i, r in enumerate(data.records) if r.kind == "y"]:
                    strip.set_current(i)
                    frames.append(strip.grab().toImage())
        finally:
            strip.set_current(keep)
            self.panel.playback.link.setChecked(link)
        self._write(lambda: export_gif(frames, path, int(1000 / self.panel.playback.fps.value())), path)

    def export_csv(self) -> None:
        data = self._shown()
        path = None if data is None else self._ask("csv", data)
        if path is not None:
            self._write(lambda: export_csv(data, path), path)

    def _write(self, write, path: Path) -> None:
        try:
            write()
        except (OSError, ValueError) as exc:
            dialogs.show_error(self.panel, "Export failed", f"{path}: {exc}")
            return
        self.panel.status_posted.emit(f"Wrote {path}")
