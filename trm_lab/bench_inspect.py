"""`python -m trm_lab.bench_inspect`: the Inspect area's speed, offscreen, min and median over repeats.

- Run -> first supervision step on screen, and -> all 16 steps on screen, with the paper-size sudoku-mlp
  (random weights: the speed does not depend on them) on a 9x9 Sudoku, level "inner" (targets 300 ms
  and 3 s); beside it the same recursion computed without the GUI, to tell compute from GUI cost,
- moving the timeline cursor on a 30x30 (ARC canvas) trace until Qt has repainted what changed (16 ms),
- the size on disk of the Sudoku trace at level "inner" (1 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SUDOKU = "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79"


def _stats(ms: list[float]) -> dict:
    return {"min_ms": round(min(ms), 1), "median_ms": round(statistics.median(ms), 1), "repeats": len(ms)}


def _wait(app, done, limit_s: float = 1800.0, signals=()) -> None:
    """Run the event loop until done(), blocking in it as the app does: woken by `signals` (or a slow
    safety timer), not polling (a busy loop would take CPU and the GIL from the worker)."""
    from PySide6.QtCore import QEventLoop, QTimer

    deadline = time.monotonic() + limit_s
    loop, timer = QEventLoop(), QTimer()

    def check(*_args) -> None:
        if done() or time.monotonic() > deadline:
            loop.quit()

    for signal in signals:
        signal.connect(check)
    timer.timeout.connect(check)
    timer.start(200 if signals else 5)
    if not done():
        loop.exec()
    timer.stop()
    for signal in signals:
        signal.disconnect(check)
    if not done():
        raise TimeoutError("the benchmark waited too long")


def bench_compute(model, inputs, steps: int, repeats: int) -> dict:
    """The recursion alone (no GUI, no thread): first supervision step and all of them."""
    from trm_engine.trace.tracer import HaltRecord, Tracer

    first, total = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        tracer = Tracer(model, "sudoku", inputs, None, "inner", family_options={"box": 3})
        for item in tracer.run(steps):
            if isinstance(item, HaltRecord) and item.sup_step == 1:
                first.append((time.perf_counter() - start) * 1000)
        total.append((time.perf_counter() - start) * 1000)
    return {"first_step": _stats(first), "all_steps": _stats(total)}


def bench_run(app, window, checkpoint: Path, steps: int, repeats: int, folder: Path) -> dict:
    """Run clicked -> step 1 drawn, -> step `steps` drawn, -> finished (projection fitted); trace size."""
    from .areas.inspect.models import ModelChoice
    from .areas.inspect.session import PuzzleSource

    panel = window.show_area("inspect")
    panel.load_model(ModelChoice("sudoku-mlp (random weights)", checkpoint, "file"))
    _wait(app, lambda: panel.session.model is not None)
    grid = np.array([0 if ch == "." else int(ch) for ch in SUDOKU]).reshape(9, 9)
    source = PuzzleSource("textbook", grid=grid)
    panel.set_source(source)
    _wait(app, lambda: source.prepared is not None)  # solved while the user reaches for Run
    panel.setup.steps.setValue(steps)
    marks: dict[int, float] = {}

    def on_step_shown(step: int) -> None:
        panel.strip.repaint()  # drawn, not just scheduled: the views and the timeline, then the plots
        panel.plots.layout_widget.viewport().repaint()
        marks[step] = time.perf_counter()

    panel.step_shown.connect(on_step_shown)
    first, total, finished = [], [], []
    for _ in range(repeats):
        marks.clear()
        start = time.perf_counter()
        panel.run()
        _wait(app, lambda: not panel.session.busy, signals=(panel.session.trace_finished,))
        panel.repaint()
        end = time.perf_counter()
        first.append((marks[1] - start) * 1000)
        total.append((marks[steps] - start) * 1000)
        finished.append((end - start) * 1000)
    panel.step_shown.disconnect(on_step_shown)
    from trm_engine.trace.trace_file import write_trace

    from .areas.inspect.export import trace_of
    path = folder / "sudoku-inner.trace.h5"
    write_trace(path, trace_of(panel.traces[0]))
    return {"first_step_on_screen": _stats(first), "all_steps_on_screen": _stats(total),
            "finished_with_projection": _stats(finished), "states": len(panel.traces[0]),
            "trace_file_bytes": path.stat().st_size}


def synthetic_arc_trace(path: Path) -> Path:
    """A 30x30 trace with the paper's depth (T=3, n=6, 16 steps: 336 states), random content."""
    from trm_engine.trace.recorder import StateRecord
    from trm_engine.trace.trace_file import write_trace
    from trm_engine.trace.tracer import HaltRecord, Trace

    rng = np.random.default_rng(0)
    L = 900
    cfg = {"seq_len": L, "vocab_size": 12, "h_cycles": 3, "l_cycles": 6, "hidden_size": 512}
    trace = Trace("arc", {"canvas": 30}, rng.integers(0, 12, L).astype(np.uint8), None, cfg, "inner")
    i = 0
    for s in range(1, 17):
        for c in range(3):
            for inner in range(7):
                trace.states.append(StateRecord(
                    i, s, c, inner, "y" if inner == 6 else "z", rng.integers(0, 12, L).astype(np.uint8),
                    rng.random(L).astype(np.float16), int(rng.integers(0, 900)), 1.0, float(rng.random()),
                    projection=rng.random((L, 3)).astype(np.float16), cell_norm=rng.random(L).astype(np.float16),
                    cell_delta=rng.random(L).astype(np.float16)))
                i += 1
        trace.halting.append(HaltRecord(s, float(rng.normal()), 0.0, i - 1))
    write_trace(path, trace)
    return path


def bench_cursor(app, window, path: Path, repeats: int) -> dict:
    """Move the timeline cursor one state, as a key press does, and let Qt repaint what changed (views,
    timeline, the plots' cursor lines). Wall time, and the GUI thread's CPU time (on a busy machine the
    wall time also counts waiting for a core)."""
    panel = window.show_area("inspect")
    shown = []
    panel.trace_shown.connect(shown.append)
    window.open_path(path)
    _wait(app, lambda: bool(shown))
    strip = panel.strip
    strip.timeline.setFocus()
    for _ in range(3):
        app.processEvents()
    wall, cpu = [], []
    for k in range(repeats):
        start, start_cpu = time.perf_counter(), time.thread_time()
        strip.set_current((k * 7) % len(shown[0]))
        app.processEvents()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
    cpu_stats = _stats(cpu)
    return _stats(wall) | {"cpu_min_ms": cpu_stats["min_ms"], "cpu_median_ms": cpu_stats["median_ms"],
                           "grid": "30x30", "states": len(shown[0])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trm_lab.bench_inspect", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of the model (each 16 supervision steps)")
    parser.add_argument("--steps", type=int, default=16)
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from trm_engine.config import load_preset
    from trm_engine.model.checkpoint import save_model
    from trm_engine.model.trm import RecursiveModel
    from trm_engine.puzzles import get_family

    load = [round(v, 2) for v in os.getloadavg()]
    with tempfile.TemporaryDirectory() as tmp:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)  # never touch the user's settings
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        app = QApplication.instance() or QApplication(sys.argv[:1])
        from .main_window import MainWindow
        from .theme import ThemeManager

        window = MainWindow(ThemeManager(app, "light"))
        window.resize(1360, 820)
        window.show()
        app.processEvents()
        cfg = load_preset("sudoku-mlp")
        torch.manual_seed(0)
        model = RecursiveModel(cfg.model).eval()
        checkpoint = Path(tmp) / "sudoku-mlp.pt"
        save_model(checkpoint, model, cfg)
        inputs = get_family("sudoku").encode(np.array([0 if c == "." else int(c) for c in SUDOKU]).reshape(9, 9))
        results = {
            "inspect_run": bench_run(app, window, checkpoint, args.steps, args.repeats, Path(tmp)),
            "compute_only": bench_compute(model, inputs, args.steps, args.repeats),
            "cursor_redraw_30x30": bench_cursor(app, window, synthetic_arc_trace(Path(tmp) / "arc.trace.h5"),
                                                max(20, args.repeats * 20)),
        }
        window.close()
    results["threads"] = torch.get_num_threads()
    results["load_average_before"] = load
    results["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
    results["cpu_count"] = os.cpu_count()
    if args.json:
        print(json.dumps(results))
        return 0
    run, compute, cursor = results["inspect_run"], results["compute_only"], results["cursor_redraw_30x30"]
    rows = (("first supervision step on screen", run["first_step_on_screen"], "300 ms"),
            ("  (compute alone)", compute["first_step"], ""),
            (f"all {args.steps} steps on screen", run["all_steps_on_screen"], "3 s"),
            ("  (compute alone)", compute["all_steps"], ""),
            ("  + projection fitted (run over)", run["finished_with_projection"], ""),
            ("timeline cursor redraw, 30x30", cursor, "16 ms"))
    for name, r, target in rows:
        print(f"{name:34s} min {r['min_ms']:10.1f} ms  median {r['median_ms']:10.1f} ms"
              + (f"  (target <= {target})" if target else ""))
    print(f"{'  (GUI thread CPU time)':34s} min {cursor['cpu_min_ms']:10.1f} ms  median {cursor['cpu_median_ms']:10.1f} ms")
    print(f"Sudoku trace at level inner: {run['states']} states, {run['trace_file_bytes']:,} bytes (target <= 1 MB)")
    print(f"torch threads {results['threads']}; load average {load[0]} before, "
          f"{results['load_average_after'][0]} after, on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
