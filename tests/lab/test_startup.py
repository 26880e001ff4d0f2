"""Start-up stays light: the window is built without torch (about 2 s of imports) and without numba;
they load when the first model, trace or generator needs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import sys
from trm_lab.app import build_window
from PySide6.QtWidgets import QApplication
window = build_window([])
QApplication.processEvents()
print(sorted(m for m in ("torch", "numba", "h5py") if m in sys.modules))
"""


def test_the_window_starts_without_torch_or_numba(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT),
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"))
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_the_start_up_bench_installs_fresh_copies_and_summarises(tmp_path):
    from trm_lab.bench_startup import _flat, _summary, fresh_install

    site = fresh_install(tmp_path)
    assert {p.name for p in site.iterdir()} == {"trm_engine", "trm_lab", "trm_resources"}
    assert not list(site.rglob("__pycache__")) and (site / "trm_resources" / "examples").is_dir()
    rows = [_flat({"x_s": (3.0, 1.0)}), _flat({"x_s": (1.0, 0.5)}), _flat({"x_s": (2.0, 0.7)})]
    summary = _summary(rows)
    assert summary["x_s"]["min"] == 1.0 and summary["x_s"]["median"] == 2.0
    assert summary["x_cpu_s"]["runs"] == [1.0, 0.5, 0.7]
