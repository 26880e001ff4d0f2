"""Probe traces: the recursion of a few fixed test puzzles, recorded at every evaluation of a run into
its `traces/` folder, so the inspector can show how the recursion itself changes as the model learns.

Files are named probe<k>_step<NNNNNNN>.trace.h5; puzzle k is the k-th example of the eval split, so
the same puzzles are traced at every evaluation.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..config import RunConfig
from ..data.dataset import PuzzleDataset
from ..model.trm import RecursiveModel
from .trace_file import write_trace
from .tracer import Tracer

_NAME = re.compile(r"probe(\d+)_step(\d+)\.trace\.h5$")


def record_probes(model: RecursiveModel, dataset: PuzzleDataset, cfg: RunConfig, folder: Path, step: int,
                  count: int) -> list[Path]:
    split = dataset.split(cfg.data.eval_split)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for k in range(min(count, split.num_examples)):
        labels = split.labels[k].astype(np.int64)
        labels = np.where(labels == 0, -100, labels)
        pid = int(split.puzzle_identifiers[np.searchsorted(split.puzzle_indices, k, side="right") - 1])
        tracer = Tracer(model, dataset.family, split.inputs[k], labels, level="step", puzzle_identifier=pid,
                        family_options=dataset.family_options, meta={"run_step": step, "probe": k})
        for _ in tracer.run(cfg.train.eval_steps or model.cfg.halt_max_steps):
            pass
        path = folder / f"probe{k}_step{step:07d}.trace.h5"
        write_trace(path, tracer.finish(), {"step": step})
        written.append(path)
    return written


def probe_files(folder: Path) -> dict[int, list[tuple[int, Path]]]:
    """probe index -> [(training step, file)] sorted by step."""
    out: dict[int, list[tuple[int, Path]]] = {}
    for path in sorted(Path(folder).glob("probe*_step*.trace.h5")):
        m = _NAME.search(path.name)
        if m:
            out.setdefault(int(m.group(1)), []).append((int(m.group(2)), path))
    return {k: sorted(v) for k, v in out.items()}
