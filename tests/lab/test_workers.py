"""The generic job runner: generator jobs report progress and a result; errors (RuntimeError too) end
as `failed`; cancel, pause and resume act between yields; the state is never left "running"."""

from __future__ import annotations

import threading

import pytest

from trm_engine.errors import DataError
from trm_lab.workers import Job, JobState, cancel_all, running_jobs


def counting(n):
    yield from range(n)
    return "done"


def test_generator_job_progress_then_result_in_order(qtbot):
    job = Job(counting, 3, name="count")
    seen = []
    job.progressed.connect(seen.append)
    job.finished.connect(lambda result: seen.append(("finished", result)))
    job.ended.connect(lambda: seen.append("ended"))
    with qtbot.waitSignals([job.finished, job.ended], order="strict", timeout=5000):
        job.start()
    assert seen == [0, 1, 2, ("finished", "done"), "ended"]
    assert job.state is JobState.FINISHED and job.result == "done" and not job.is_running
    assert job.wait(2000)


def test_plain_function_result_and_work_runs_off_the_gui_thread(qtbot):
    main = threading.get_ident()
    job = Job(lambda: threading.get_ident())
    with qtbot.waitSignal(job.finished, timeout=5000) as blocker:
        job.start()
    assert blocker.args[0] != main


@pytest.mark.parametrize("exc, text", [
    (RuntimeError("CUDA error: out of memory"), "RuntimeError: CUDA error: out of memory"),
    (DataError("data.h5: no split 'test'"), "data.h5: no split 'test'"),
])
def test_errors_end_as_failed_never_running(qtbot, exc, text):
    def failing():
        yield 1
        raise exc

    job = Job(failing)
    texts = []
    job.failed.connect(texts.append)
    with qtbot.waitSignals([job.failed, job.ended], order="strict", timeout=5000):
        job.start()
    assert texts == [text]
    assert job.state is JobState.FAILED and job.error is exc and not job.is_running
    assert job not in running_jobs()


def test_cancel_between_yields_runs_the_generators_cleanup(qtbot):
    closed = threading.Event()

    def endless():
        try:
            while True:
                yield "tick"
        finally:
            closed.set()

    job = Job(endless)
    job.progressed.connect(lambda _: job.cancel())
    with qtbot.waitSignals([job.cancelled, job.ended], order="strict", timeout=5000):
        job.start()
    assert job.state is JobState.CANCELLED
    assert closed.is_set()
    with qtbot.assertNotEmitted(job.finished):
        job.wait(2000)


def test_pause_holds_at_the_next_yield_then_resume_finishes(qtbot):
    proceed, reached_third = threading.Event(), threading.Event()

    def work():
        yield "first"
        # the GUI asks for a pause while the generator is working on its next step; the bound is only
        # a guard against a hang (a loaded machine can take seconds to deliver "first" to the GUI)
        assert proceed.wait(60)
        yield "second"
        reached_third.set()  # not reached while paused
        yield "third"
        return 42

    job = Job(work)
    seen = []
    job.progressed.connect(seen.append)
    job.progressed.connect(lambda e: (job.pause(), proceed.set()) if e == "first" else None)
    with qtbot.waitSignal(job.paused, timeout=60000):
        job.start()
    assert job.state is JobState.PAUSED and job.is_running
    assert not reached_third.is_set()
    with qtbot.waitSignals([job.resumed, job.finished], order="strict", timeout=60000):
        job.resume()
    assert job.result == 42 and seen == ["first", "second", "third"]


def test_a_job_can_start_paused(qtbot):
    job = Job(counting, 2)
    seen = []
    job.progressed.connect(seen.append)
    job.pause()
    with qtbot.waitSignal(job.paused, timeout=5000):
        job.start()
    assert seen == []
    with qtbot.waitSignal(job.finished, timeout=5000):
        job.resume()
    assert seen == [0, 1]


def test_cancel_while_paused_and_cancel_all(qtbot):
    def endless():
        while True:
            yield 0

    job = Job(endless)
    job.progressed.connect(lambda _: job.pause())
    with qtbot.waitSignal(job.paused, timeout=5000):
        job.start()
    assert job in running_jobs()
    with qtbot.waitSignal(job.cancelled, timeout=5000):
        assert cancel_all(3000)
    assert running_jobs() == []


def test_throttle_keeps_the_last_event(qtbot):
    job = Job(counting, 200, throttle_s=10.0)
    seen = []
    job.progressed.connect(seen.append)
    with qtbot.waitSignal(job.finished, timeout=5000):
        job.start()
    assert seen == [0, 199]


def test_a_job_starts_once(qtbot):
    job = Job(counting, 1)
    with qtbot.waitSignal(job.ended, timeout=5000):
        job.start()
    with pytest.raises(RuntimeError, match="already started"):
        job.start()


def test_callback_style_work_reports_and_cancels_at_its_callbacks(qtbot):
    def generate(count, progress=None):
        for i in range(count):
            progress(i + 1, count)
        return "made"

    job = Job(generate, 3, progress_kw="progress")
    seen = []
    job.progressed.connect(seen.append)
    with qtbot.waitSignal(job.finished, timeout=5000):
        job.start()
    assert seen == [(1, 3), (2, 3), (3, 3)] and job.result == "made"

    def endless(progress=None):
        while True:
            progress("tick")

    job = Job(endless, progress_kw="progress")
    job.progressed.connect(lambda _: job.cancel())
    with qtbot.waitSignal(job.cancelled, timeout=5000):
        job.start()


def test_many_short_jobs_end_and_are_collected_safely(qtbot):
    """QThread.finished arrives just before the thread really ends; a job must not be destroyed in
    that window (it used to abort the interpreter now and then)."""
    import gc

    ended = []
    for i in range(60):
        job = Job(lambda i=i: i, name=f"short{i}")
        job.ended.connect(lambda: ended.append(1))
        job.start()
        del job
    qtbot.waitUntil(lambda: len(ended) == 60 and not running_jobs(include_background=True), timeout=20000)
    qtbot.waitUntil(lambda: not __import__("trm_lab.workers", fromlist=["_ALIVE"])._ALIVE, timeout=20000)
    gc.collect()
