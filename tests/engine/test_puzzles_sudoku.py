"""Sudoku family: text formats, validation messages, the counting solver and rater, the generator."""

import numpy as np
import pytest

from trm_engine.errors import PuzzleError
from trm_engine.puzzles import get_family
from trm_engine.puzzles.generate import SudokuSettings, generate_sudoku

# Arto Inkala's "hardest" puzzle and its (unique) solution.
HARD = "8..........36......7..9.2...5...7.......457.....1...3...1....68..85...1..9....4.."
HARD_SOLUTION = ("812753649943682175675491283154237896369845721287169534521974368438526917796318452")
EASY_4 = "1.3.\n..2.\n.1..\n4..."


@pytest.fixture(scope="module")
def sudoku():
    return get_family("sudoku")


def test_parse_one_line_and_nine_lines_agree(sudoku):
    grid = sudoku.parse(HARD)
    assert grid.shape == (9, 9) and grid[0, 0] == 8 and grid[0, 1] == 0
    assert (sudoku.parse(sudoku.format(grid)) == grid).all()
    assert (sudoku.parse(HARD.replace(".", "0")) == grid).all()
    boxed = "\n".join("|".join([row[:3], row[3:6], row[6:]]) for row in sudoku.format(grid).split())
    assert (sudoku.parse(boxed) == grid).all()
    assert sudoku.format_line(grid) == HARD


def test_tokens_are_official(sudoku):
    grid = sudoku.parse(HARD)
    tokens = sudoku.encode(grid)
    assert tokens.dtype == np.uint8 and tokens.shape == (81,)
    assert tokens[0] == 9 and tokens[1] == 1 and sudoku.vocab_size == 11 and sudoku.seq_len() == 81
    assert (sudoku.decode(tokens) == grid).all()


@pytest.mark.parametrize("text, fragment", [
    (HARD[:80], "81 characters, got 80"),
    (HARD[:40] + "x" + HARD[41:], "r5c5: unknown character 'x'"),
    ("123\n456", "got 2 non-empty lines"),
    ("\n".join(["12345678"] + ["123456789"] * 8), "row 1 has 8 cells"),
])
def test_parse_errors_name_the_problem(sudoku, text, fragment):
    with pytest.raises(PuzzleError, match=fragment):
        sudoku.parse(text, source="p.txt")


def test_validation_names_every_conflict(sudoku):
    grid = sudoku.parse(HARD)
    grid[0, 1] = 8  # duplicates the 8 at r1c1 in row 1 and box 1
    messages = [p.message for p in sudoku.validate(grid)]
    assert "row 1: digit 8 appears 2 times (r1c1, r1c2)" in messages
    assert any(m.startswith("box 1: digit 8") for m in messages)
    assert all(p.cells for p in sudoku.validate(grid))
    grid[4, 4] = 12
    assert "r5c5: value 12" in sudoku.validate(grid)[0].message


def test_solver_counts_zero_one_many(sudoku):
    result = sudoku.solve(sudoku.parse(HARD))
    assert result.count == 1 and sudoku.format_line(result.solution) == HARD_SOLUTION
    assert result.backtracks > 10 and result.extra["rater"] == "trm-lab-sudoku-rater"
    assert sudoku.solve(np.zeros((9, 9), int)).count == 2
    broken = sudoku.parse(HARD)
    broken[0, 1] = 8
    assert sudoku.solve(broken).count == 0
    assert [p.message for p in sudoku.check(broken)][0].startswith("row 1")
    nearly = sudoku.parse(HARD_SOLUTION)
    nearly[0, 0] = 0
    assert sudoku.solve(nearly).count == 1 and sudoku.solve(nearly).backtracks == 0


def test_check_solution(sudoku):
    puzzle, answer = sudoku.parse(HARD), sudoku.parse(HARD_SOLUTION)
    assert sudoku.check_solution(puzzle, answer) == []
    wrong = answer.copy()
    wrong[0, 0], wrong[0, 1] = wrong[0, 1], wrong[0, 0]
    messages = " ".join(p.message for p in sudoku.check_solution(puzzle, wrong))
    assert "r1c1: the puzzle gives 8 but the answer has 1" in messages
    wrong = answer.copy()
    wrong[3, 3] = 0
    assert "still blank: r4c4" in sudoku.check_solution(puzzle, wrong)[0].message


def test_four_by_four():
    s4 = get_family("sudoku", box=2)
    grid = s4.parse(EASY_4)
    assert s4.vocab_size == 6 and s4.seq_len() == 16
    result = s4.solve(grid)
    assert result.count == 1 and s4.validate(result.solution) == []
    with pytest.raises(PuzzleError):
        get_family("sudoku", box=5)


def test_sixteen_by_sixteen_solves():
    s16 = get_family("sudoku", box=4)
    result = s16.solve(np.zeros((16, 16), int))
    assert result.count == 2 and s16.validate(result.solution) == []
    assert s16.parse(s16.format(result.solution)).max() == 16


def test_generator_unique_minimal_rated_and_seeded(sudoku):
    gen = generate_sudoku(20, seed=3)
    again = generate_sudoku(20, seed=3)
    assert (gen.puzzles == again.puzzles).all() and (gen.ratings == again.ratings).all()
    assert not (generate_sudoku(20, seed=4).puzzles == gen.puzzles).all()
    for puzzle, solution, rating in zip(gen.puzzles, gen.solutions, gen.ratings):
        p, s = puzzle.reshape(9, 9).astype(int), solution.reshape(9, 9).astype(int)
        result = sudoku.solve(p)
        assert result.count == 1 and (result.solution == s).all() and result.backtracks == rating
        assert sudoku.check_solution(p, s) == []
    # Minimal: removing any remaining clue breaks uniqueness (checked on the first puzzle).
    p = gen.puzzles[0].reshape(9, 9).astype(int)
    for r, c in zip(*np.nonzero(p)):
        q = p.copy()
        q[r, c] = 0
        assert sudoku.solve(q).count == 2
    assert gen.settings["rater_version"] >= 1


def test_generator_rating_threshold_and_clue_floor():
    hard = generate_sudoku(5, seed=1, settings=SudokuSettings(min_rating=5))
    assert (hard.ratings >= 5).all()
    loose = generate_sudoku(5, seed=1, settings=SudokuSettings(min_clues=40))
    assert ((loose.puzzles > 0).sum(axis=1) >= 40).all()
    with pytest.raises(PuzzleError, match="lower the minimum rating"):
        generate_sudoku(2, seed=1, settings=SudokuSettings(box=2, min_rating=50, max_attempts_per_puzzle=50))


def test_plain_python_solver_equals_the_kernel():
    """`sudoku_solver` (no JIT, used for one puzzle) must count, rate and solve exactly as the kernel."""
    from trm_engine.puzzles import sudoku_search, sudoku_solver

    cases = [(row, 3) for row in generate_sudoku(12, seed=3).puzzles]
    cases += [(row, 2) for row in generate_sudoku(4, seed=3, settings=SudokuSettings(box=2)).puzzles]
    several = cases[0][0].copy()
    several[np.flatnonzero(several)[:6]] = 0  # fewer clues: usually several solutions
    clash = np.zeros(81, np.int8)
    clash[:2] = 5
    cases += [(several, 3), (clash, 3), (np.zeros(81, np.int8), 3), (np.zeros(256, np.int8), 4)]
    for row, box in cases:
        want = sudoku_search.solve_one(row, box, 2)
        got = sudoku_solver.solve_one(row, box, 2)
        assert got[:3] == want[:3]
        np.testing.assert_array_equal(got[3], want[3])
