"""Warming the generator kernels' numba cache: a stamp says it is warm, and only a cold cache starts a
background process."""

from __future__ import annotations

import subprocess

from trm_engine.puzzles import kernels, warm


def test_warm_up_writes_the_stamp_and_a_warm_cache_starts_nothing(tmp_path, monkeypatch):
    from trm_engine.puzzles import maze_search, sudoku_search  # noqa: F401 - numba reads its cache
    # folder when it is first imported: importing first keeps this process on the suite's filled cache

    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    started = []
    monkeypatch.setattr(kernels, "_started", None)
    monkeypatch.setattr(subprocess, "Popen", lambda args, **kw: started.append(args) or _Finished())
    assert kernels.stamp_path().parent == tmp_path and not kernels.is_warm()
    kernels.start_warming()
    assert started and started[0][1:] == ["-m", "trm_engine.puzzles.warm", "--nice"]
    assert warm.warm_up() >= 0 and kernels.is_warm()
    started.clear()
    assert kernels.start_warming() is None and not started
    (tmp_path / kernels.stamp_path().name).unlink()
    monkeypatch.setattr("sys.frozen", True, raising=False)  # a bundle's executable is the app itself
    assert kernels.start_warming() is None and not started


def test_generating_waits_for_a_warm_up_still_running(monkeypatch):
    from trm_engine.puzzles.generate import generate_sudoku

    waited = []

    class Running:
        def poll(self):
            return None

        def wait(self):
            waited.append(True)

    monkeypatch.setattr(kernels, "_started", Running())
    generate_sudoku(1, 0)
    assert waited == [True]


class _Finished:
    def poll(self):
        return 0
