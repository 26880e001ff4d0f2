"""`trm-lab [FILE]`: start the desktop app, optionally opening a puzzle, dataset, run or trace file."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from . import settings
from .qapp import create_app
from .theme import THEMES, ThemeManager


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trm-lab", description="TRM Lab: draw and solve puzzles, train Tiny Recursive Models, "
                                    "inspect their recursion.")
    parser.add_argument("file", nargs="?", type=Path,
                        help="a puzzle (.sudoku, .maze, ARC .json), dataset (.h5), run folder or trace file")
    parser.add_argument("--theme", choices=THEMES, help="override the saved theme for this session")
    parser.add_argument("--self-test", action="store_true",
                        help="check this install without a display: build the main window offscreen, load a "
                             "demo model, run a 1-step trace; exit 0 when all pass")
    return parser


def build_window(argv: Sequence[str]):
    """The application's window for command-line arguments `argv` (without the program name), shown;
    a FILE argument opens as soon as the event loop runs."""
    args = build_parser().parse_args(list(argv))
    app = create_app([sys.argv[0] if sys.argv else "trm-lab"])
    saved = str(settings.value("appearance/theme", "system", str))
    theme = ThemeManager(app, args.theme or (saved if saved in THEMES else "system"))
    from .main_window import MainWindow  # after the QApplication: panels may create Qt objects on import

    window = MainWindow(theme)
    window.show()
    if args.file is not None:
        QTimer.singleShot(0, lambda: window.open_path(args.file.expanduser()))
    return window


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if build_parser().parse_args(argv).self_test:
        from .selftest import run_self_test
        return run_self_test()
    window = build_window(argv)
    QTimer.singleShot(WARM_KERNELS_AFTER_MS, window, _warm_generator_kernels)
    return QApplication.instance().exec()


WARM_KERNELS_AFTER_MS = 5000  # once the window is up and the first clicks are served


def _warm_generator_kernels() -> None:
    """Fill numba's cache of the generator kernels in a background process (nothing if it is full),
    so the first Generate does not wait ~30 s for the compiler."""
    from trm_engine.puzzles.kernels import start_warming

    try:
        start_warming()
    except OSError:
        pass  # no process could start: Generate compiles on first use, as it always could


if __name__ == "__main__":
    raise SystemExit(main())
