"""The GUI-latency benchmark's arithmetic (the benchmark itself trains a real model for a while and is
run by hand: python -m trm_lab.bench_monitor)."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer

from trm_lab.bench_monitor import PROBE_MS, Probe, spin, summary


def test_latency_summary_percentiles():
    late = [0.0] * 98 + [40.0, 900.0]
    assert summary(late) == {"ticks": 100, "p50_ms": 0.0, "p99_ms": 900.0, "max_ms": 900.0}
    assert summary(list(range(1000)))["p99_ms"] == 990
    assert summary([]) == {"ticks": 0}


def test_the_probe_ticks_in_a_real_event_loop_and_sees_a_stalled_gui_thread(qapp):
    probe = Probe()
    spin(qapp, 30, until=lambda: len(probe.late) >= 5)
    assert len(probe.late) >= 5 and all(x >= 0 for x in probe.take())
    QTimer.singleShot(0, lambda: time.sleep(0.15))  # the GUI thread blocked for 150 ms
    spin(qapp, 30, until=lambda: len(probe.late) >= 3)
    late = probe.take()
    probe.timer.stop()
    assert max(late) >= 150 - PROBE_MS - 5  # one tick waited for the stall to end
