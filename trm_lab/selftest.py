"""`trm-lab --self-test`: check that this install (or desktop bundle) works, without a display.

It builds the main window offscreen with every area, loads the first demo model shipped in resources/,
runs a one-supervision-step trace of it on one of the bundled example puzzles, prints one line per check
and exits 0, or 1 with the failing check's error. Settings and folders go to a temporary folder, so the
user's preferences are never touched.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

EXPECTED_AREAS = ("puzzles", "train", "inspect", "experiments")


class SelfTestError(RuntimeError):
    """A check failed; the message says which and why."""


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise SelfTestError(message)


def _window(folder: Path):
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from . import settings
    from .qapp import create_app
    from .theme import ThemeManager

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder / "settings"))
    app = create_app([sys.argv[0] if sys.argv else "trm-lab"])
    for name in ("data", "datasets", "puzzles", "runs", "cache"):
        settings.set_location(name, folder / name)
    from .main_window import MainWindow

    window = MainWindow(ThemeManager(app, "light"))
    window.show()
    QApplication.processEvents()
    areas = tuple(window.panels)
    _check(all(a in areas for a in EXPECTED_AREAS), f"the window has areas {areas}, expected {EXPECTED_AREAS}")
    for area in EXPECTED_AREAS:
        window.show_area(area)
        QApplication.processEvents()
    return window, f"main window with {len(areas)} areas ({', '.join(areas)})"


def _demo_model():
    from trm_engine.model.checkpoint import load_model

    from .areas.inspect.models import demo_models_root, list_demo_models

    demos = list_demo_models()
    _check(bool(demos), f"no demo model in {demo_models_root()}")
    choice = demos[0]
    model, cfg, _ = load_model(choice.checkpoint)
    return choice, model, f"demo model {choice.name} ({choice.title}, {sum(p.numel() for p in model.parameters()):,} " \
                          f"parameters)"


def _example_source(family: str, cfg):
    from .areas.inspect.puzzles import puzzle_items, source_from_file

    for _text, data in puzzle_items(family, cfg):
        if data is not None and data[0] == "file":
            return source_from_file(data[1], family)
    raise SelfTestError(f"no bundled example puzzle fits the {family} demo model")


def _trace(choice, model):
    from trm_engine.trace.tracer import HaltRecord

    from .areas.inspect.session import RunStarted, trace_puzzle

    source = _example_source(choice.family, model.cfg)
    states = []
    job = trace_puzzle(model, choice.family, source, 1, "inner", {"self_test": True}, states.extend)  # lists
    halts = []
    try:
        while True:
            item = next(job)
            if not isinstance(item, RunStarted):
                halts.append(item.halt)
    except StopIteration as done:
        trace = done.value
    _check(len(halts) == 1 and isinstance(halts[0], HaltRecord), f"expected 1 supervision step, got {len(halts)}")
    _check(len(states) > 0 and len(trace.states) == len(states), "the trace recorded no states")
    prediction = trace.final_prediction()
    _check(prediction is not None and prediction.shape == (model.cfg.seq_len,),
           "the trace has no final prediction of the right length")
    return f"1-step trace on {source.name}: {len(states)} states, p_halt {halts[0].p_halt:.3f}"


def run_self_test(out=sys.stdout) -> int:
    """Run the checks, printing one line each; 0 when all pass, 1 otherwise."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    start = time.perf_counter()
    window = None
    with tempfile.TemporaryDirectory(prefix="trm-lab-self-test-") as tmp:
        try:
            window, line = _window(Path(tmp))
            print(f"ok  {line}", file=out)
            choice, model, line = _demo_model()
            print(f"ok  {line}", file=out)
            print(f"ok  {_trace(choice, model)}", file=out)
        except Exception as exc:  # noqa: BLE001 - every failure is reported, then the exit status says it
            print(f"FAILED  {exc}", file=out)
            traceback.print_exc()
            return 1
        finally:
            if window is not None:
                window.close()
                window.deleteLater()
    print(f"self-test passed in {time.perf_counter() - start:.1f} s", file=out)
    return 0
