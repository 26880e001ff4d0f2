"""The app's boundaries: engine-agnostic widgets, one module that starts threads, GUI modules kept small."""

from __future__ import annotations

import ast
from pathlib import Path

LAB = Path(__file__).resolve().parents[2] / "trm_lab"


def imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_widgets_never_import_the_engine():
    offenders = [f"{p.name}: {n}" for p in (LAB / "widgets").glob("*.py") for n in imports(p)
                 if n.split(".")[0] == "trm_engine"]
    assert offenders == []


def test_only_workers_starts_threads():
    offenders = []
    for path in LAB.rglob("*.py"):
        if path.name == "workers.py":
            continue
        text = path.read_text()
        for needle in ("QThread(", "threading.Thread", "QThreadPool", "concurrent.futures", "moveToThread"):
            if needle in text:
                offenders.append(f"{path.relative_to(LAB)}: {needle}")
    assert offenders == []


def test_gui_modules_stay_small():
    sizes = {str(p.relative_to(LAB)): len(p.read_text().splitlines()) for p in LAB.rglob("*.py")}
    assert {name: n for name, n in sizes.items() if n > 420} == {}
