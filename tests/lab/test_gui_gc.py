"""Python's cyclic garbage collection happens only in the GUI thread once workers exist (trm_lab.gui_gc):
a collection in a worker thread that frees a Qt object can deadlock with the GUI thread."""

from __future__ import annotations

import gc
import threading

from trm_lab.gui_gc import collect_due
from trm_lab.workers import Job


def churn_cycles() -> str:
    """Allocate far more reference cycles than the collector's first threshold."""
    for _ in range(20 * gc.get_threshold()[0]):
        node: list = []
        node.append(node)
    return threading.current_thread().name


def test_only_the_gui_thread_collects_once_a_worker_has_started(qtbot):
    where = []

    def note(phase, _info):
        if phase == "start":
            where.append(threading.current_thread().name)

    gc.callbacks.append(note)
    try:
        job = Job(churn_cycles, name="churn")
        with qtbot.waitSignal(job.finished, timeout=60000) as finished:
            job.start()
        assert not gc.isenabled()
        worker = finished.args[0]
        assert worker != threading.main_thread().name
        qtbot.waitUntil(lambda: bool(where), timeout=10000)  # the GUI thread's timer collects
        assert set(where) == {threading.main_thread().name}
    finally:
        gc.callbacks.remove(note)


def test_collect_due_frees_cycles_once_past_the_threshold():
    enabled = gc.isenabled()
    gc.disable()  # as after collect_in_gui_thread: only collect_due collects
    try:
        gc.collect()
        assert collect_due() == 0  # nothing due right after a full collection
        churn_cycles()
        assert collect_due() > 0
    finally:
        if enabled:
            gc.enable()
