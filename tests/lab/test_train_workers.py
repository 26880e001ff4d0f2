"""What training needs from workers.py: a job whose cancel() is the work's own graceful stop, progress
from training events, and ProcessJob (a child process with the Job contract, for torchrun)."""

from __future__ import annotations

import sys
import threading

from trm_engine.train.events import TrainMetrics
from trm_lab.workers import Job, JobState, ProcessJob, cancel_all, progress_of, running_jobs


def test_cancel_with_a_stop_fn_lets_the_work_end_itself_then_a_second_cancel_forces(qtbot):
    stop = threading.Event()

    def work():
        n = 0
        while not stop.is_set():
            n += 1
            yield n
        yield "checkpoint written"
        return "stopped cleanly"

    job = Job(work, stop_fn=stop.set)
    seen = []
    job.progressed.connect(seen.append)
    job.progressed.connect(lambda e: job.cancel() if e == 3 else None)
    with qtbot.waitSignal(job.finished, timeout=5000):
        job.start()
    assert job.result == "stopped cleanly" and seen[-1] == "checkpoint written" and job.stop_requested

    never = threading.Event()
    stubborn = Job(lambda: (x for x in iter(int, 1)), stop_fn=never.set)  # ignores its stop
    stubborn.progressed.connect(lambda _: stubborn.cancel())
    with qtbot.waitSignal(stubborn.cancelled, timeout=5000):
        stubborn.start()
    assert never.is_set() and stubborn.state is JobState.CANCELLED


def test_training_events_report_progress():
    event = TrainMetrics(step=30, total_steps=120, epoch=0.0, lr=1e-3, loss=1.0, lm_loss=1.0, q_halt_loss=0.0,
                         q_continue_loss=0.0, accuracy=0.0, exact_accuracy=0.0, q_halt_accuracy=0.0, sup_steps=1.0,
                         halted=0, examples_per_s=1.0, elapsed=1.0)
    assert progress_of(event) == (30, 120, "step 30 of 120")


def python(code: str, **kw) -> ProcessJob:
    return ProcessJob(sys.executable, ["-c", code], name="child", **kw)


def test_process_job_finishes_and_keeps_its_output(qtbot):
    job = python("import os; print('hello', os.environ['TRM_TEST'])", env={"TRM_TEST": "42"})
    chunks = []
    job.output_received.connect(chunks.append)
    with qtbot.waitSignals([job.finished, job.ended], order="strict", timeout=20000):
        job.start()
    assert job.exit_code == 0 and "hello 42" in "".join(chunks) and job.output_tail() == "hello 42"
    assert not job.is_running and job not in running_jobs()


def test_process_job_failure_carries_the_tail_of_its_output(qtbot):
    job = python("import sys; print('line 1'); sys.exit('no dataset: give --data FILE')")
    with qtbot.waitSignal(job.failed, timeout=20000) as blocker:
        job.start()
    assert blocker.args[0].startswith("child exited with code 1")
    assert "no dataset: give --data FILE" in blocker.args[0]


def test_process_job_that_cannot_start_fails(qtbot):
    job = ProcessJob("/nonexistent/program", [], name="ghost")
    with qtbot.waitSignal(job.failed, timeout=20000) as blocker:
        job.start()
    assert "could not start /nonexistent/program" in blocker.args[0]


def test_process_job_cancel_is_sigterm_then_kill(qtbot):
    code = ("import signal, sys, time\n"
            "signal.signal(signal.SIGTERM, lambda *a: (print('checkpoint', flush=True), sys.exit(0)))\n"
            "print('ready', flush=True)\n"
            "time.sleep(60)\n")
    job = python(code)
    with qtbot.waitSignal(job.output_received, timeout=20000):
        job.start()
    assert job in running_jobs()
    with qtbot.waitSignal(job.cancelled, timeout=20000):
        job.cancel()
    assert "checkpoint" in job.output_tail()

    deaf = python("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); "
                  "time.sleep(60)")
    with qtbot.waitSignal(deaf.output_received, timeout=20000):
        deaf.start()
    with qtbot.waitSignal(deaf.cancelled, timeout=20000):
        assert cancel_all(300) is True  # SIGTERM ignored: the second round kills
