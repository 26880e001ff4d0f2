"""`python -m trm_lab.bench`: GUI performance figures (offscreen), min and median over repeats.

- repaint of a 30x30 ARC grid (target <= 5 ms),
- repaint of a full ARC task view: 4 demonstration pairs + 1 test pair, all 30x30 (target <= 16 ms),
- opening a 1,000-puzzle dataset in the library until its rows are listed and drawn (target <= 1 s).
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


def make_sudoku_dataset(path: Path, count: int = 1000, seed: int = 0) -> Path:
    """A dataset of `count` distinct 9x9 puzzles: one generated puzzle under `count` validity-preserving
    shuffles (generating 1,000 rated puzzles takes minutes; this takes a moment)."""
    from trm_engine.data.build import provenance, single_example_split
    from trm_engine.data.dataset import PuzzleDataset
    from trm_engine.puzzles import get_family
    from trm_engine.puzzles.generate import generate_sudoku

    family = get_family("sudoku")
    gen = generate_sudoku(1, seed)
    puzzle, solution = gen.puzzles[0].reshape(9, 9), gen.solutions[0].reshape(9, 9)
    rng = np.random.default_rng(seed)
    shuffles = [family.random_shuffle(rng) for _ in range(count)]
    inputs = np.stack([family.encode(s.apply(puzzle)) for s in shuffles])
    labels = np.stack([family.encode(s.apply(solution)) for s in shuffles])
    n_train = count // 2
    splits = {"train": single_example_split(inputs[:n_train], labels[:n_train], np.full(n_train, gen.ratings[0])),
              "test": single_example_split(inputs[n_train:], labels[n_train:], np.full(count - n_train, gen.ratings[0]))}
    ds = PuzzleDataset("sudoku", family.options, family.vocab_size, family.seq_len(), 1, splits,
                       augmentation="sudoku", metadata=provenance("benchmark", seed))
    return ds.save(path)


def _timed(fn, repeats: int) -> dict:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return {"min_ms": round(min(times), 3), "median_ms": round(statistics.median(times), 3), "repeats": repeats}


def bench_grid(app, repeats: int) -> dict:
    from .widgets.grid import GridView

    view = GridView(np.random.default_rng(0).integers(0, 10, (30, 30)))
    view.resize(640, 640)
    view.show()
    app.processEvents()
    return _timed(view.repaint, repeats) | {"size": "30x30 random colours in a 640x640 view"}


def bench_task_view(app, repeats: int) -> dict:
    from PySide6.QtGui import QImage

    from .widgets.task_view import TaskView

    rng = np.random.default_rng(1)
    grids = {f"{s}/{i}/{side}": rng.integers(0, 10, (30, 30))
             for s, n in (("train", 4), ("test", 1)) for i in range(n) for side in ("input", "output")}
    view = TaskView()
    view.set_task(grids)
    view.resize(420, 900)
    view.show()
    app.processEvents()
    # The whole task is one canvas widget, so its repaint() is the full task view. render() also
    # draws the scroll area around it into an image (an upper bound).
    image = QImage(view.size(), QImage.Format.Format_ARGB32_Premultiplied)
    rendered = _timed(lambda: view.render(image), repeats)
    painted = _timed(view.canvas.repaint, repeats)
    return painted | {"render_min_ms": rendered["min_ms"], "render_median_ms": rendered["median_ms"],
                      "grids": len(grids), "size": "5 pairs of 30x30 grids, random colours (worst case)"}


def bench_library(app, theme, repeats: int, folder: Path) -> dict:
    from .main_window import MainWindow

    path = make_sudoku_dataset(folder / "bench-1000.h5")
    window = MainWindow(theme)
    window.resize(1280, 820)
    window.show()
    panel = window.panels["puzzles"]
    times = []
    for _ in range(repeats):
        panel.library.set_source(path.name, [])
        start = time.perf_counter()
        window.open_path(path)
        job = panel.dataset_job
        while job.is_running or len(panel.library.visible_entries()) < 1000:
            app.processEvents()
        panel.library.view.viewport().repaint()
        times.append((time.perf_counter() - start) * 1000)
    for editor in panel.editors.values():
        editor.doc.undo_stack.setClean()
    window.close()
    return {"min_ms": round(min(times), 1), "median_ms": round(statistics.median(times), 1), "repeats": repeats,
            "puzzles": len(panel.library.visible_entries())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trm_lab.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    with tempfile.TemporaryDirectory() as tmp:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)  # never touch the user's settings
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        app = QApplication.instance() or QApplication(sys.argv[:1])
        from .theme import ThemeManager
        theme = ThemeManager(app, "light")
        results = {
            "repaint_arc_grid_30x30": bench_grid(app, args.repeats),
            "repaint_arc_task_view": bench_task_view(app, args.repeats),
            "open_dataset_1000_in_library": bench_library(app, theme, max(3, args.repeats // 10), Path(tmp)),
        }
    if args.json:
        print(json.dumps(results))
    else:
        targets = {"repaint_arc_grid_30x30": 5, "repaint_arc_task_view": 16, "open_dataset_1000_in_library": 1000}
        for name, r in results.items():
            print(f"{name:32s} min {r['min_ms']:9.2f} ms  median {r['median_ms']:9.2f} ms  "
                  f"(target <= {targets[name]} ms, {r['repeats']} repeats)")
            if "render_min_ms" in r:
                print(f"{'  (render() incl. scroll area)':32s} min {r['render_min_ms']:9.2f} ms  "
                      f"median {r['render_median_ms']:9.2f} ms")
        print(f"load average while measuring: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
