"""`python -m trm_lab.bench_monitor`: is the GUI still responsive while a run trains inside the app?

A QTimer probe asks to fire every 10 ms on the GUI thread; how late each tick arrives is the event
loop's latency. It is measured in phases: the app idle (the machine's own noise); the Train area's
first showing, which imports torch in a background job; a run starting (dataset, model); a
sudoku-mlp-lab run training on the CPU in the app's worker thread with a train event every step and
the live monitor redrawing; and Stop: the stop latency is the time from pressing Stop until the run
has written its checkpoint and reported "stopped". Targets: p99 <= 50 ms while training, stop <= 2 s.
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

PROBE_MS = 10


class Probe:
    """Lateness of a 10 ms QTimer, tick by tick, in milliseconds."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.late: list[float] = []
        self._last = time.perf_counter()
        self.timer = QTimer(interval=PROBE_MS, timerType=Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.timer.start()

    def _on_timer_timeout(self) -> None:
        now = time.perf_counter()
        self.late.append(max(0.0, (now - self._last) * 1000 - PROBE_MS))
        self._last = now

    def take(self) -> list[float]:
        late, self.late = self.late, []
        return late


def summary(late: list[float]) -> dict:
    if not late:
        return {"ticks": 0}
    ordered = sorted(late)
    return {"ticks": len(late), "p50_ms": round(statistics.median(late), 2),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2),
            "max_ms": round(ordered[-1], 2)}


def spin(app, seconds: float, until=None) -> None:
    """Run the real event loop for `seconds`, or until `until()` is true (checked every 20 ms)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    deadline = QTimer(singleShot=True, interval=int(seconds * 1000))
    deadline.timeout.connect(loop.quit)
    check = QTimer(interval=20)
    check.timeout.connect(lambda: loop.quit() if until is not None and until() else None)
    deadline.start()
    check.start()
    if until is None or not until():
        loop.exec()
    check.stop()
    deadline.stop()


def run(args, app, folder: Path) -> dict:
    from trm_engine.config import apply_overrides, load_preset

    from .areas.train.dialog import LaunchPlan
    from .areas.train.runs import new_run_dir
    from .bench import make_sudoku_dataset
    from .main_window import MainWindow
    from .theme import ThemeManager

    data = make_sudoku_dataset(folder / "sudoku-1000.h5", 1000)
    window = MainWindow(ThemeManager(app, "light"))
    window.resize(1360, 820)
    window.show()
    probe = Probe()
    spin(app, args.idle)
    results = {"idle": summary(probe.take())}
    panel = window.show_area("train")
    started = time.perf_counter()
    spin(app, 600, until=lambda: not panel.preload.is_running)
    results["warm_up"] = summary(probe.take()) | {"seconds": round(time.perf_counter() - started, 1)}

    cfg = apply_overrides(load_preset(args.preset), [f"data.path={data}", f"train.threads={args.threads}",
                                                     "train.log_interval=1", *args.set])
    started = time.perf_counter()
    source = panel.start_run(LaunchPlan(cfg, new_run_dir("bench-monitor")))
    history = panel.histories[source.run_dir]
    spin(app, 600, until=lambda: len(history.series["loss"].steps) > 0 or not source.is_live)
    results["start"] = summary(probe.take()) | {"seconds": round(time.perf_counter() - started, 1)}
    step0 = history.step
    t0 = time.perf_counter()
    spin(app, args.seconds, until=lambda: not source.is_live)
    results["training"] = summary(probe.take()) | {
        "seconds": round(time.perf_counter() - t0, 1), "steps": history.step - step0,
        "s_per_step": round((time.perf_counter() - t0) / max(1, history.step - step0), 3),
        "redraws": panel.monitor.redraws}
    if args.screenshot:
        window.grab().save(str(args.screenshot), "PNG")
    received: list[tuple[float, object]] = []  # (wall clock when the GUI got it, event)
    source.event_received.connect(lambda e: received.append((time.time(), e)))
    pressed_wall, pressed = time.time(), time.perf_counter()
    panel.stop_action.trigger()
    spin(app, 300, until=lambda: history.state == "stopped")
    stopped = time.perf_counter()
    spin(app, 120, until=lambda: not source.is_live)
    results["stop"] = {"stopped_s": round(stopped - pressed, 3), "job_ended_s": round(time.perf_counter() - pressed, 3),
                       "state": history.state, "message": history.message} | summary(probe.take())
    # where the time went: interrupting the step in flight and writing the checkpoint, then the trip to the GUI
    times = {e.type: (e.time, got) for got, e in received}
    if {"checkpoint", "stopped"} <= set(times):
        results["stop"] |= {"checkpoint_written_s": round(times["checkpoint"][0] - pressed_wall, 3),
                            "to_gui_ms": round((times["stopped"][1] - times["stopped"][0]) * 1000, 1)}
    window.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trm_lab.bench_monitor", description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="sudoku-mlp-lab")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to probe while training")
    parser.add_argument("--idle", type=float, default=5.0, help="how long to probe the idle app first")
    parser.add_argument("--threads", type=int, default=0, help="torch threads for the run (default: the app's)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config field of the run (repeatable), e.g. a heavier model: "
                             "--set hidden_size=256 makes each step take longer than the 2 s stop target")
    parser.add_argument("--screenshot", type=Path, help="save the window while the run trains")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings

    from .areas.train.feed import default_threads

    args.threads = args.threads or default_threads()
    with tempfile.TemporaryDirectory() as tmp:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)  # never touch the user's settings
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        os.environ["TRM_LAB_RUNS"] = str(Path(tmp) / "runs")
        from .qapp import create_app
        app = create_app(sys.argv[:1])
        load_before = os.getloadavg()[0]
        results = run(args, app, Path(tmp))
    results["machine"] = {"cores": os.cpu_count(), "torch_threads": args.threads, "preset": args.preset, "overrides": args.set,
                          "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
                          "platform": os.environ.get("QT_QPA_PLATFORM", "")}
    if args.json:
        print(json.dumps(results))
        return 0
    for phase in ("idle", "warm_up", "start", "training", "stop"):
        r = results[phase]
        print(f"{phase:9s} p50 {r.get('p50_ms', 0):7.2f} ms  p99 {r.get('p99_ms', 0):7.2f} ms  "
              f"max {r.get('max_ms', 0):8.2f} ms  ({r.get('ticks', 0)} ticks)")
    t = results["training"]
    print(f"training: {t['steps']} steps in {t['seconds']} s ({t['s_per_step']} s/step), {t['redraws']} redraws")
    s = results["stop"]
    print(f"stop: 'stopped' after {s['stopped_s']} s, thread ended after {s['job_ended_s']} s ({s['message']})")
    if "checkpoint_written_s" in s:
        print(f"      = step in flight interrupted and checkpoint written after {s['checkpoint_written_s']} s "
              f"+ {s['to_gui_ms']} ms to the window")
    m = results["machine"]
    print(f"{m['cores']} cores, {m['torch_threads']} torch thread(s), load average {m['load_before']} before, "
          f"{m['load_after']} after; target p99 <= 50 ms while training, stop <= 2 s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
