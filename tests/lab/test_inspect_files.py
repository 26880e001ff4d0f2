"""Files in and out of the Inspect area: the trace (read back with plain h5py), PNG / SVG / GIF / CSV,
opening a trace by File > Open, drag and drop and open_path, a damaged file's message, a checkpoint
file, and a run's probe traces stepped through by training step."""

from __future__ import annotations

import csv
import json

import h5py
import numpy as np
from inspect_helpers import use_tiny_models
from lab_helpers import make_window, menu_action
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from test_inspect_run import RUN_TIMEOUT, run_demo


def test_exports_trace_picture_gif_and_csv(qtbot, theme, monkeypatch, tmp_path, dialog_recorder):
    use_tiny_models(monkeypatch)
    window = make_window(qtbot, theme)
    panel = window.show_area("inspect")
    data = run_demo(qtbot, panel)

    dialog_recorder.save_paths.append(tmp_path / "run")  # the suffix is added
    with qtbot.waitSignal(panel.actions_.exports["trace"].triggered):
        menu_action(window, "File", "Export Trace (HDF5)").trigger()
    qtbot.waitUntil(lambda: not panel.actions_.job.is_running, timeout=RUN_TIMEOUT)
    path = tmp_path / "run.trace.h5"
    with h5py.File(path, "r") as f:  # a plain h5py reader, as docs/trace_format.md describes
        assert f.attrs["format"] == "trm-lab.trace" and f.attrs["complete"] and f.attrs["family"] == "sudoku"
        assert f["steps/tokens"].shape == (16, 4, 4) and list(f["halting/sup_step"][()]) == [1, 2, 3, 4]
        ys = f["steps/kind"][()] == 1
        assert np.array_equal(f["steps/tokens"][()][ys][-1].reshape(-1), data.trace.final_prediction())
        assert f["steps/projection"].attrs["fitted"] and f["steps/cell_norm"].shape == (16, 4, 4)
        assert f.attrs["checkpoint_path"].endswith("model.pt") and len(f.attrs["checkpoint_sha256"]) == 64
        assert json.loads(f.attrs["meta"])["puzzle_source"] == "4x4-1"

    for name in ("view.png", "view.svg"):
        dialog_recorder.save_paths.append(tmp_path / name)
        menu_action(window, "File", "Export View (PNG, SVG)").trigger()
    assert Image.open(tmp_path / "view.png").size[0] > 300
    svg = (tmp_path / "view.svg").read_text()
    assert svg.startswith("<?xml") and "<rect" in svg or "<path" in svg

    dialog_recorder.save_paths.append(tmp_path / "rec.gif")
    panel.strip.set_current(4)
    menu_action(window, "File", "Export Recursion as GIF").trigger()
    gif = Image.open(tmp_path / "rec.gif")
    assert gif.n_frames == 8 and panel.strip.current == 4  # one frame per y update; the cursor is back

    dialog_recorder.save_paths.append(tmp_path / "scalars.csv")
    menu_action(window, "File", "Export Scalars as CSV").trigger()
    rows = list(csv.DictReader(open(tmp_path / "scalars.csv", encoding="utf-8")))
    assert len(rows) == 16 and rows[3]["name"] == "step1.cycle1.y" and rows[3]["p_halt"] != ""
    assert rows[2]["p_halt"] == "" and float(rows[3]["cell_accuracy"]) == data.records[3].cell_accuracy
    assert dialog_recorder.errors == []


def test_open_a_trace_by_path_drop_and_menu_and_a_damaged_one(qtbot, theme, monkeypatch, tmp_path,
                                                              dialog_recorder):
    use_tiny_models(monkeypatch)
    window = make_window(qtbot, theme)
    panel = window.show_area("inspect")
    run_demo(qtbot, panel)
    dialog_recorder.save_paths.append(tmp_path / "a.trace.h5")
    panel.actions_.export_trace()
    qtbot.waitUntil(lambda: not panel.actions_.job.is_running, timeout=RUN_TIMEOUT)

    window.show_area("puzzles")
    with qtbot.waitSignal(panel.trace_shown, timeout=RUN_TIMEOUT) as shown:
        assert window.open_path(tmp_path / "a.trace.h5")
    assert window.current_area() == "inspect" and len(shown.args[0]) == 16 and shown.args[0].title == "a"
    assert panel.strip.current == 15 and panel.strip.projection_view.colors() is not None

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "a.trace.h5"))])
    with qtbot.waitSignal(panel.trace_shown, timeout=RUN_TIMEOUT):
        panel.dropEvent(QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                   Qt.KeyboardModifier.NoModifier))

    dialog_recorder.open_paths.append(tmp_path / "a.trace.h5")
    with qtbot.waitSignal(panel.trace_shown, timeout=RUN_TIMEOUT):
        window.open_action.trigger()

    data = (tmp_path / "a.trace.h5").read_bytes()
    (tmp_path / "cut.trace.h5").write_bytes(data[: len(data) // 3])
    with qtbot.waitSignal(panel.session.read_failed, timeout=RUN_TIMEOUT):
        window.open_path(tmp_path / "cut.trace.h5")
    title, text = dialog_recorder.errors[-1]
    assert title == "Cannot open trace" and "cut.trace.h5" in text and "truncated" in text


def test_trm_lab_file_opens_a_trace(qtbot, monkeypatch):
    from trm_lab import app as app_module

    root = use_tiny_models(monkeypatch)
    path = sorted((root / "runs" / "tiny" / "traces").glob("*.trace.h5"))[-1]
    window = app_module.build_window([str(path)])
    qtbot.addWidget(window)
    panel = window.panels["inspect"]
    qtbot.waitUntil(lambda: panel.strip.data is not None and len(panel.strip.data) == 8, timeout=RUN_TIMEOUT)
    assert window.current_area() == "inspect" and panel.strip.data.title == path.name.removesuffix(".trace.h5")


def test_a_checkpoint_file_and_a_runs_probe_traces(qtbot, theme, monkeypatch, dialog_recorder):
    root = use_tiny_models(monkeypatch)
    window = make_window(qtbot, theme)
    panel = window.show_area("inspect")
    with qtbot.waitSignal(panel.session.model_loaded, timeout=RUN_TIMEOUT):
        assert window.open_path(root / "models" / "sudoku4" / "model.pt")
    assert panel.pages.currentIndex() == 1 and panel.setup.model_box.currentText() == "model.pt"
    assert panel.source is not None and panel.strip.input_view.editable  # the first example, editable
    assert panel.setup.puzzle_box.currentText().startswith("4x4-1")

    dialog_recorder.open_paths.append(root / "runs" / "tiny")
    with qtbot.waitSignal(panel.trace_shown, timeout=RUN_TIMEOUT) as shown:
        assert panel.actions_.open_probes()
    bar = panel.probe_bar
    assert bar.isVisible() and bar.probe_box.count() == 2 and bar.step_label.text().startswith("step 6")
    assert shown.args[0].trace.meta["run_step"] == 6 and len(shown.args[0]) == 8  # level "step": z, y per step
    panel.strip.set_current(3)
    with qtbot.waitSignal(panel.trace_shown, timeout=RUN_TIMEOUT) as shown:
        bar.slider.setValue(0)
    assert shown.args[0].trace.meta["run_step"] == 3 and bar.step_label.text().startswith("step 3")
    assert panel.strip.current == 3  # the same state, one checkpoint earlier
    with qtbot.waitSignal(panel.trace_shown, timeout=RUN_TIMEOUT) as shown:
        bar.probe_box.setCurrentIndex(1)
    assert shown.args[0].trace.meta["probe"] == 1

    dialog_recorder.open_paths.append(root / "models")
    assert not panel.actions_.open_probes()
    assert dialog_recorder.errors[-1][0] == "No probe traces"
