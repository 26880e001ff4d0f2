"""The binding work-around: many Qt calls that return nothing must not exhaust None's reference count
(PySide6 6.12 on CPython 3.11 drops one per call; see trm_lab/qt_compat.py)."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import trm_lab
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter
app = QGuiApplication([])
image = QImage(8, 8, QImage.Format.Format_RGB32)
painter = QPainter(image)
for _ in range(60000):
    painter.fillRect(QRect(0, 0, 2, 2), QColor("red"))
    painter.setPen(QColor("blue"))
painter.end()
print("survived")
"""


def test_many_void_qt_calls_do_not_abort_the_interpreter():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": ""})
    assert out.returncode == 0, out.stderr[-2000:]
    assert "survived" in out.stdout


BOOL_CODE = """
import trm_lab
from PySide6.QtCore import QCoreApplication, QObject, Signal
app = QCoreApplication([])
class Source(QObject):
    changed = Signal(bool)
source = Source()
seen = []
source.changed.connect(seen.append)
for _ in range(20000):
    source.changed.emit(True)
    source.changed.emit(False)
seen.clear()
print("survived")
"""


def test_many_bools_emitted_to_python_slots_do_not_abort_the_interpreter():
    out = subprocess.run([sys.executable, "-c", BOOL_CODE], capture_output=True, text=True, timeout=120,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": ""})
    assert out.returncode == 0, out.stderr[-2000:]
    assert "survived" in out.stdout
