"""The Inspect benchmark's pieces on a tiny model (the benchmark itself runs the paper-size model and is
run by hand: python -m trm_lab.bench_inspect): the bare and the recorded recursion, timed in a worker
thread as the area's run is."""

from __future__ import annotations

import numpy as np
import torch
from inspect_helpers import SUDOKU4, tiny_models_root

from trm_engine.model.checkpoint import load_model
from trm_lab.bench_inspect import bare_recursion, in_job, traced_recursion


def test_the_bare_and_the_recorded_recursion_are_timed_in_a_worker_thread(qapp):
    model, _, _ = load_model(tiny_models_root() / "models" / "sudoku4" / "model.pt")
    torch.set_num_threads(1)
    inputs = np.array([1 if ch == "." else int(ch) + 1 for ch in SUDOKU4 if ch != "\n"], dtype=np.uint8)
    for fn in (bare_recursion, traced_recursion):
        first, total = in_job(qapp, fn, model, inputs, 3)
        assert 0 < first <= total
