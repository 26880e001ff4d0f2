"""The bundled example puzzles load, are valid, and say what the README says."""

from pathlib import Path

import pytest

from trm_engine.puzzles import ArcTask, get_family

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


@pytest.mark.parametrize("path", sorted((EXAMPLES / "sudoku").glob("*.txt")), ids=lambda p: p.name)
def test_sudoku_examples_have_one_solution(path):
    family = get_family("sudoku", box=2 if path.name.startswith("4x4") else 3)
    grid = family.load(path)
    result = family.solve(grid)
    assert family.validate(grid) == [] and result.count == 1
    if path.name.startswith("hard"):
        assert result.backtracks >= 20


@pytest.mark.parametrize("path", sorted((EXAMPLES / "maze").glob("*.txt")), ids=lambda p: p.name)
def test_maze_examples_are_solvable(path):
    family = get_family("maze")
    grid = family.load(path)
    assert family.solve(grid).count >= 1
    if path.name.startswith("hard"):
        assert grid.shape == (30, 30) and family.solve(grid).extra["steps"] > 110


@pytest.mark.parametrize("path", sorted((EXAMPLES / "arc").glob("*.json")), ids=lambda p: p.name)
def test_arc_examples_are_valid_tasks(path):
    task = ArcTask.load(path)
    assert get_family("arc").validate_task(task) == [] and all(p.output is not None for p in task.test)


def test_examples_are_small_and_documented():
    files = [p for p in EXAMPLES.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 200_000
    readme = (EXAMPLES / "README.md").read_text()
    for p in files:
        if p.suffix in (".txt", ".json"):
            assert p.name in readme, p.name
    assert (EXAMPLES / "arc" / "LICENSE-ConceptARC").is_file()
