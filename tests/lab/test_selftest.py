"""The desktop bundle's self-check: the PyInstaller spec and the self-test entry exist, and
`trm-lab --self-test` passes from the source install (the bundle build itself is slow and runs only from
packaging/build.sh)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_bundle_spec_builds_the_app_with_its_resources_and_self_test():
    spec = (ROOT / "packaging" / "trm-lab.spec").read_text(encoding="utf-8")
    assert "entry.py" in spec and "resources" in spec and "icon" in spec
    build = (ROOT / "packaging" / "build.sh").read_text(encoding="utf-8")
    assert "PyInstaller" in build and "--self-test" in build
    assert "from trm_lab.app import main" in (ROOT / "packaging" / "entry.py").read_text(encoding="utf-8")


def test_self_test_passes_from_the_source_install(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "QT_QPA_PLATFORM": ""}  # the self-test goes offscreen itself
    result = subprocess.run([sys.executable, "-m", "trm_lab.app", "--self-test"], capture_output=True, text=True,
                            env=env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("ok  main window with 4 areas")
    assert lines[1].startswith("ok  demo model sudoku4")
    assert lines[2].startswith("ok  1-step trace on") and "states" in lines[2]
    assert lines[-1].startswith("self-test passed")
    assert not (tmp_path / "config").exists()  # the user's settings are never touched


def test_self_test_fails_loudly_without_demo_models(tmp_path, monkeypatch, capsys):
    from trm_lab import selftest
    from trm_lab.areas.inspect import models as inspect_models

    monkeypatch.setattr(inspect_models, "demo_models_root", lambda: tmp_path / "none")
    monkeypatch.setattr(selftest, "EXPECTED_AREAS", ())
    assert selftest.run_self_test() == 1
    assert "FAILED  no demo model in" in capsys.readouterr().out
