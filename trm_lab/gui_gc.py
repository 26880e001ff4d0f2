"""Python's garbage collector runs in the GUI thread only.

The cyclic collector runs in whichever thread happens to allocate when a threshold is crossed. If a
worker thread (training, tracing, reading a dataset) collects a cycle that holds a Qt object, the C++
destructor runs in that thread and takes Qt's object mutex, then waits for the GIL. Meanwhile the GUI
thread holds the GIL and waits for that mutex. That hang was seen in the test suite, while a dataset
loaded and the library repainted. So once the first worker starts, automatic collection is switched
off, and the GUI thread collects from a timer with the collector's usual per-generation thresholds.
pyqtgraph's GarbageCollector does the same.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QThread, QTimer

INTERVAL_MS = 500
_timer: QTimer | None = None


def collect_in_gui_thread() -> None:
    """Switch to GUI-thread collection (idempotent; call from the GUI thread, with an application)."""
    global _timer
    app = QCoreApplication.instance()
    if _timer is not None or app is None or QThread.currentThread() is not app.thread():
        return
    gc.disable()
    _timer = QTimer(app)
    _timer.setInterval(INTERVAL_MS)
    _timer.timeout.connect(collect_due)
    _timer.start()


def collect_due() -> int:
    """Collect each generation whose allocation count passed its threshold; returns objects found."""
    found = 0
    limits, counts = gc.get_threshold(), gc.get_count()
    for generation in range(3):
        if counts[generation] <= limits[generation]:
            break
        found += gc.collect(generation)
    return found
