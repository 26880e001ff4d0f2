"""The package layout and the dependency rule: trm_engine never loads Qt, pyqtgraph or trm_lab."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")

ROOT = Path(__file__).resolve().parents[2]


def test_import_engine_and_cli_loads_no_qt():
    code = (
        "import sys, json, trm_engine, trm_engine.cli\n"
        "import trm_engine.model.trm, trm_engine.puzzles\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph', 'trm_lab')]\n"
        "print(json.dumps(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_engine_sources_never_import_the_app_or_qt():
    offenders = []
    for path in (ROOT / "trm_engine").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph", "trm_lab"):
                    offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []


def test_every_package_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = set()
    for init in list((ROOT / "trm_engine").rglob("__init__.py")) + list((ROOT / "trm_lab").rglob("__init__.py")):
        found.add(".".join(init.parent.relative_to(ROOT).parts))
    found.add("trm_resources")
    assert found == listed
