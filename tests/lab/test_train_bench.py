"""The GUI-latency benchmark's arithmetic (the benchmark itself trains a real model for a while and is
run by hand: python -m trm_lab.bench_monitor)."""

from __future__ import annotations

from trm_lab.bench_monitor import Probe, spin, summary


def test_latency_summary_percentiles():
    late = [0.0] * 98 + [40.0, 900.0]
    assert summary(late) == {"ticks": 100, "p50_ms": 0.0, "p99_ms": 900.0, "max_ms": 900.0}
    assert summary(list(range(1000)))["p99_ms"] == 990
    assert summary([]) == {"ticks": 0}


def test_the_probe_ticks_in_a_real_event_loop(qapp):
    probe = Probe()
    spin(qapp, 0.3)
    late = probe.take()
    probe.timer.stop()
    assert 5 <= len(late) <= 31 and all(x >= 0 for x in late)
