"""Test-wide settings: Qt offscreen (without a display Qt aborts the whole run) and a fixed torch thread
count, so timings and results do not depend on what else runs on the machine."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(os.path.dirname(__file__), "..", ".numba_cache"))

import torch  # noqa: E402

torch.set_num_threads(1)
