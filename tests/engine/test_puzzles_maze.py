"""Maze family: `# SGo` text, validation, BFS labels, canvas encoding, solution checks, the generator."""

from dataclasses import replace

import numpy as np
import pytest

from trm_engine.errors import PuzzleError
from trm_engine.puzzles import get_family
from trm_engine.puzzles.generate import MazeSettings, generate_mazes, maze_hard_threshold

MAZE = "\n".join([
    "S  #",
    "## #",
    "    ",
    " ##G",
]) + "\n"


@pytest.fixture(scope="module")
def maze():
    return get_family("maze")


def test_parse_format_roundtrip_and_csv_line(maze):
    grid = maze.parse(MAZE)
    assert grid.shape == (4, 4) and grid[0, 0] == 2 and grid[3, 3] == 3 and grid[0, 3] == 0
    assert maze.format(grid) == MAZE
    assert maze.format_line(grid) == MAZE.replace("\n", "")
    assert (maze.parse(maze.format_line(grid)) == grid).all()


def test_one_line_900_characters_is_30x30(maze):
    gen = generate_mazes(1, seed=0)
    line = "".join("# SGo"[v] for v in gen.puzzles[0])
    assert len(line) == 900
    assert maze.parse(line).shape == (30, 30)


@pytest.mark.parametrize("text, fragment", [
    ("S  #\n## \n    \n ##G\n", "row 2 has 3 characters"),
    ("S  #\n## #\n  x \n ##G\n", "r3c3: unknown character 'x'"),
    ("   #\n## #\n    \n ##G\n", "no start S"),
    ("S  #\n## #\n    \n ## \n", "no goal G"),
    ("S  S\n## #\n    \n ##G\n", "2 cells marked S (r1c1, r1c4)"),
    ("\n".join(["S" + " " * 30] + [" " * 31] * 2), "at most 30x30"),
    ("", "empty maze"),
])
def test_parse_errors(maze, text, fragment):
    with pytest.raises(PuzzleError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        maze.parse(text, source="m.txt")


def test_lenient_parse_for_editors(maze):
    assert maze.parse("   #\n## #\n", strict=False).shape == (2, 4)


def test_solve_marks_a_shortest_path(maze):
    grid = maze.parse(MAZE)
    result = maze.solve(grid)
    assert result.count == 1 and result.extra["steps"] == 6
    assert maze.format(result.solution) == "Soo#\n##o#\n  oo\n ##G\n"
    assert maze.check_solution(grid, result.solution) == []


def test_counts_several_shortest_paths_and_unreachable(maze):
    open_grid = maze.parse("S  \n   \n  G\n")
    assert maze.solve(open_grid).count == 2
    blocked = maze.parse("S# \n## \n  G\n")
    assert maze.solve(blocked).count == 0
    with pytest.raises(PuzzleError, match="no path"):
        maze.label(blocked)


def test_check_solution_reports_wrong_paths(maze):
    grid = maze.parse(MAZE)
    good = maze.label(grid)
    broken = good.copy()
    broken[2, 3] = 1  # gap in the path
    assert "does not connect" in maze.check_solution(grid, broken)[0].message
    wall = good.copy()
    wall[1, 3] = 4
    assert "r2c4: '#' in the maze became 'o'" in maze.check_solution(grid, wall)[0].message
    longer = good.copy()
    longer[2, 1] = 4
    assert "has 6 cells; a shortest path has 5" in maze.check_solution(grid, longer)[0].message


def test_encode_into_canvas_and_decode(maze):
    grid = maze.parse(MAZE)
    assert (maze.decode(maze.encode(grid), grid.shape) == grid).all()
    big = get_family("maze", canvas=30)
    tokens = big.encode(grid)
    assert tokens.shape == (900,) and tokens.reshape(30, 30)[4:, :].max() == 0
    assert tokens[0] == 3 and tokens[3] == 1  # S -> 3, '#' -> 1
    assert (big.decode(tokens) == grid).all()
    with pytest.raises(PuzzleError, match="does not fit"):
        get_family("maze", canvas=3).encode(grid)


def test_generator_meets_the_path_threshold_and_is_seeded(maze):
    gen = generate_mazes(6, seed=5, settings=MazeSettings(12, 12))
    again = generate_mazes(6, seed=5, settings=MazeSettings(12, 12))
    assert (gen.puzzles == again.puzzles).all()
    threshold = maze_hard_threshold(12, 12)
    assert (gen.ratings > threshold).all()
    for puzzle, label, steps in zip(gen.puzzles, gen.solutions, gen.ratings):
        grid = puzzle.reshape(12, 12).astype(int)
        assert maze.validate(grid) == []
        result = maze.solve(grid)
        assert result.extra["steps"] == steps
        assert (result.solution == label.reshape(12, 12)).all()
        walls = (grid == 0).mean()
        assert 0.25 <= walls <= 0.5


@pytest.mark.parametrize("engine", ["kernel", "python"])
def test_unique_path_mazes_have_one_shortest_path_so_the_label_is_the_answer(engine):
    """Most generated mazes have several shortest paths, and the label marks one of them (a dihedral
    augmentation of the maze would pick another); with unique_path every kept maze has exactly one."""
    from trm_engine.puzzles.maze import shortest_paths

    def paths(gen):
        out = []
        for grid, label in zip(gen.puzzles, gen.solutions):
            start, goal = int(np.flatnonzero(grid == 2)[0]), int(np.flatnonzero(grid == 3)[0])
            steps, count, marked = shortest_paths(grid, 9, 9, start, goal, cap=3)
            assert (marked == label).all()
            out.append(count)
        return out

    plain = MazeSettings(9, 9, min_path=12)
    assert max(paths(generate_mazes(20, seed=3, settings=plain, engine=engine))) > 1
    gen = generate_mazes(20, seed=3, settings=replace(plain, unique_path=True), engine=engine)
    assert paths(gen) == [1] * 20 and (gen.ratings > 12).all()
    assert gen.settings["unique_path"] is True and gen.settings["engine"] == engine
    with pytest.raises(PuzzleError, match="unique shortest path longer than 60"):
        generate_mazes(1, seed=1, settings=MazeSettings(9, 9, min_path=60, unique_path=True,
                                                          max_layouts_per_maze=50), engine=engine)


def test_hard_threshold_scales_with_size():
    assert maze_hard_threshold(30, 30) == 110
    assert maze_hard_threshold(9, 9) < maze_hard_threshold(15, 15) < 110


def test_plain_python_bfs_equals_the_kernel():
    """`shortest_paths` (no JIT, used for one maze) finds the kernel's steps, path count and label."""
    import numpy as np

    from trm_engine.puzzles import maze_search
    from trm_engine.puzzles.maze import shortest_paths

    rng = np.random.default_rng(0)
    for side in (3, 7, 16):
        for _ in range(15):
            grid = (rng.random(side * side) > rng.uniform(0.1, 0.5)).astype(np.int8)
            start, goal = (int(v) for v in rng.choice(side * side, 2, replace=False))
            grid[start], grid[goal] = 2, 3
            label = np.empty_like(grid)
            for cap in (1, 2, 50):
                steps, count = maze_search.solve(grid, side, side, start, goal, label, cap)
                got_steps, got_count, got_label = shortest_paths(grid, side, side, start, goal, cap)
                assert (got_steps, got_count if steps >= 0 else 0) == (steps, count if steps >= 0 else 0)
                if steps >= 0:
                    np.testing.assert_array_equal(got_label, label)
