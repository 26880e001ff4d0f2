"""The code's boundaries, read from the sources (every import counts: module level, inside functions,
under TYPE_CHECKING): no two modules import each other, and an app area uses another area only through
that area's package (its `__init__`), never its modules."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AREAS = ROOT / "trm_lab" / "areas"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path, modules: set[str]) -> set[str]:
    """The project modules `path` imports; `from pkg import name` counts as `pkg.name` when that is a
    module, else as `pkg`."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in modules else target)
    return {m for m in found if m in modules and m != name}


def project_graph(root: Path = ROOT) -> dict[str, set[str]]:
    paths = [p for pkg in ("trm_engine", "trm_lab") for p in (root / pkg).rglob("*.py")]
    modules = {module_name(p, root) for p in paths}
    return {module_name(p, root): imports_of(p, root, modules) for p in paths}


def test_no_two_modules_import_each_other():
    graph = project_graph()
    pairs = sorted({tuple(sorted((a, b))) for a, deps in graph.items() for b in deps if a in graph.get(b, ())})
    assert pairs == []


def test_an_area_uses_another_area_only_through_its_package():
    graph = project_graph()
    areas = sorted(p.name for p in AREAS.iterdir() if (p / "__init__.py").exists())
    assert areas == ["experiments", "inspect", "puzzles", "train"]
    offenders = []
    for module, deps in graph.items():
        if not module.startswith("trm_lab.areas.") or module.count(".") < 3:
            continue
        own = module.split(".")[2]
        for dep in deps:
            parts = dep.split(".")
            if dep.startswith("trm_lab.areas.") and len(parts) > 3 and parts[2] != own:
                offenders.append(f"{module} -> {dep}")
    assert offenders == []


def test_the_boundary_checks_see_a_cycle_and_a_reach_into_an_area(tmp_path):
    """The checks themselves work: a planted cycle and a planted reach into another area are found."""
    fake = tmp_path / "trm_lab" / "areas"
    for area in ("puzzles", "train"):
        (fake / area).mkdir(parents=True)
        (fake / area / "__init__.py").write_text("")
    (tmp_path / "trm_lab" / "__init__.py").write_text("")
    (fake / "__init__.py").write_text("")
    (tmp_path / "trm_engine").mkdir()
    (tmp_path / "trm_engine" / "__init__.py").write_text("")
    (tmp_path / "trm_engine" / "a.py").write_text("from . import b\n")
    (tmp_path / "trm_engine" / "b.py").write_text("def f():\n    from .a import x\n")
    (fake / "train" / "dialog.py").write_text("from ..puzzles.editor import E\n")
    (fake / "puzzles" / "editor.py").write_text("from ..train import DEVICES\n")
    graph = project_graph(tmp_path)
    assert "trm_engine.b" in graph["trm_engine.a"] and "trm_engine.a" in graph["trm_engine.b"]
    assert "trm_lab.areas.puzzles.editor" in graph["trm_lab.areas.train.dialog"]
    assert graph["trm_lab.areas.puzzles.editor"] == {"trm_lab.areas.train"}
