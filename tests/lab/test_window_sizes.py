"""Every area at 1024x700 and 1600x1000, rendered offscreen to PNG (set TRM_LAB_SHOTS=DIR to keep them
and look at them): the area fits without a horizontal scroll bar and the Train plots reflow. The first
window fits the screen, also at QT_SCALE_FACTOR=2 on a 2560x1440 screen (1280x720 logical pixels)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from trm_lab.main_window import MainWindow, available_panels

SIZES = ((1024, 700), (1600, 1000))
SPECS = {spec.key: spec for spec in available_panels()}
def write_run(path: Path, name: str, step: int, total: int) -> None:
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"config": {"name": name}}))
    (path / "status.json").write_text(json.dumps({"state": "finished", "step": step, "total_steps": total,
                                                  "best_eval": 0.5, "device": "cpu", "name": name}))


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("TRM_LAB_SHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def cases():
    for key in SPECS:
        for size in SIZES:
            yield pytest.param(key, size, id=f"{key}-{size[0]}x{size[1]}")


@pytest.mark.parametrize("key, size", cases())
def test_each_area_fits_and_renders(qtbot, theme, shots, tmp_path, monkeypatch, key, size):
    monkeypatch.setenv("TRM_LAB_RUNS", str(tmp_path / "runs"))
    write_run(tmp_path / "runs" / "20260101-000000-first", "a first run with a long name", 1500, 1500)
    write_run(tmp_path / "runs" / "20260101-000100-second", "second", 1234, 3000)
    window = MainWindow(theme, [SPECS[key]])
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    panel = window.panels[key]
    if key == "train":
        qtbot.waitUntil(lambda: len(panel.runs.items) == 2, timeout=10000)
    qtbot.wait(200)
    path = shots / f"{key}-{size[0]}x{size[1]}.png"
    assert window.grab().save(str(path), "PNG")
    image = QImage(str(path))
    assert (image.width(), image.height()) == size
    assert len({image.pixel(x, y) for x in range(0, size[0], 16) for y in range(0, size[1], 16)}) > 8
    if key == "train":  # two plot columns at 1024, four at 1600; the run list needs no scroll bar
        assert panel.monitor.curves.columns == (2 if size[0] == 1024 else 4)
        tree = panel.runs.tree
        assert sum(tree.header().sectionSize(c) for c in range(tree.columnCount())) <= tree.viewport().width()
    assert not window.holders[key].horizontalScrollBar().isVisible()
    assert (window.width(), window.height()) == size


def test_the_first_window_fits_the_screen_and_a_saved_oversized_one_is_shrunk(qtbot, theme):
    window = MainWindow(theme, [SPECS["train"]])  # settings are fresh: a first start
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    screen = window.screen().availableGeometry()
    assert screen.contains(window.frameGeometry()), (screen, window.frameGeometry())
    window.resize(screen.width() + 400, screen.height() + 300)
    window.save_settings()
    again = MainWindow(theme, [SPECS["train"]])
    qtbot.addWidget(again)
    again.show()
    assert again.width() <= screen.width() and again.height() <= screen.height()


FIRST_WINDOW = """
import json, sys
from PySide6.QtCore import QSettings
QSettings.setDefaultFormat(QSettings.Format.IniFormat)
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, sys.argv[1])
from trm_lab.qapp import create_app
app = create_app(sys.argv[:1])
from trm_lab.main_window import MainWindow
from trm_lab.theme import ThemeManager
from trm_lab.areas.puzzles import PANEL  # the widest area: 1,245 pixels with the sidebar
window = MainWindow(ThemeManager(app, "light"), [PANEL])
window.show()
app.processEvents()
screen = window.screen()
g, a = window.frameGeometry(), screen.availableGeometry()
print(json.dumps({"window": [g.x(), g.y(), g.width(), g.height()], "screen": [a.x(), a.y(), a.width(), a.height()],
                  "ratio": screen.devicePixelRatio()}))
"""


def test_the_first_window_fits_a_screen_at_scale_factor_2(tmp_path):
    screen = tmp_path / "screen.json"
    screen.write_text(json.dumps({"screens": [{"name": "s", "x": 0, "y": 0, "width": 2560, "height": 1440,
                                               "logicalDpi": 96}]}))
    env = {**os.environ, "QT_SCALE_FACTOR": "2", "QT_QPA_PLATFORM": f"offscreen:configfile={screen}",
           "TRM_LAB_RUNS": str(tmp_path / "runs"), "TRM_LAB_EXPERIMENTS": str(tmp_path / "experiments"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    out = subprocess.run([sys.executable, "-c", FIRST_WINDOW, str(tmp_path / "settings")], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    x, y, w, h = got["window"]
    sx, sy, sw, sh = got["screen"]
    assert got["ratio"] == 2 and (sw, sh) == (1280, 720)
    assert sx <= x and sy <= y and x + w <= sx + sw and y + h <= sy + sh, got
