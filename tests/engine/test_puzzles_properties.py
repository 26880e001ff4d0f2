"""Property tests: every augmentation keeps puzzles valid and is exactly undone by its inverse, and
every encoder round-trips through its decoder."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trm_engine.puzzles import DIHEDRAL_INVERSE, ArcAugment, SudokuShuffle, dihedral, get_family
from trm_engine.puzzles.generate import MazeSettings, generate_mazes, generate_sudoku
from trm_engine.puzzles.transforms import dihedral_shape

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SUDOKU = generate_sudoku(8, seed=11)
SUDOKU4 = generate_sudoku(8, seed=11, settings=__import__("trm_engine.puzzles.generate",
                                                          fromlist=["SudokuSettings"]).SudokuSettings(box=2))
MAZES = generate_mazes(4, seed=2, settings=MazeSettings(10, 7))

seeds = st.integers(0, 2**32 - 1)
arc_grids = st.integers(1, 30).flatmap(
    lambda h: st.integers(1, 30).flatmap(
        lambda w: st.lists(st.integers(0, 9), min_size=h * w, max_size=h * w).map(
            lambda v: np.array(v, dtype=np.uint8).reshape(h, w))))


@FAST
@given(seed=seeds, index=st.integers(0, 7), box=st.sampled_from([2, 3]))
def test_sudoku_shuffle_keeps_validity_and_inverts(seed, index, box):
    family = get_family("sudoku", box=box)
    gen = SUDOKU if box == 3 else SUDOKU4
    n = box * box
    puzzle = gen.puzzles[index].reshape(n, n).astype(np.int64)
    solution = gen.solutions[index].reshape(n, n).astype(np.int64)
    shuffle = SudokuShuffle.random(np.random.default_rng(seed), box)
    p2, s2 = shuffle.apply(puzzle), shuffle.apply(solution)
    assert family.validate(p2) == [] and family.check_solution(p2, s2) == []
    assert family.solve(p2).count == 1
    assert (shuffle.invert(p2) == puzzle).all() and (shuffle.invert(s2) == solution).all()
    # The token-level form used by the sampler agrees with the grid form.
    tokens = family.encode(puzzle)[shuffle.cell_index()]
    assert (shuffle.token_map()[tokens] == family.encode(p2)).all()


@FAST
@given(t=st.integers(0, 7), index=st.integers(0, 3))
def test_maze_dihedral_keeps_validity_and_path_length(t, index):
    maze = get_family("maze")
    grid = MAZES.puzzles[index].reshape(10, 7).astype(np.int64)
    out = dihedral(grid, t)
    assert out.shape == dihedral_shape(grid.shape, t)
    assert maze.validate(out) == []
    assert maze.solve(out).extra["steps"] == MAZES.ratings[index]
    label = dihedral(MAZES.solutions[index].reshape(10, 7).astype(np.int64), t)
    assert maze.check_solution(out, label) == []
    assert (dihedral(out, DIHEDRAL_INVERSE[t]) == grid).all()


@FAST
@given(grid=arc_grids, seed=seeds)
def test_arc_augment_keeps_colours_valid_and_inverts(grid, seed):
    arc = get_family("arc")
    aug = ArcAugment.random(np.random.default_rng(seed))
    out = aug.apply(grid)
    assert arc.validate(out) == [] and ((grid == 0) == (aug.invert(out) == 0)).all()
    assert (aug.invert(out) == grid).all()
    assert ((out == 0).sum() == (grid == 0).sum())  # colour 0 stays fixed
    assert (aug.token_map()[arc.encode(grid)] == arc.encode(aug.colours and
                                                            np.asarray(aug.colours)[grid])).all()


@FAST
@given(grid=arc_grids, data=st.data())
def test_arc_encode_decode_roundtrip_with_translation(grid, data):
    arc = get_family("arc")
    h, w = grid.shape
    r0, c0 = data.draw(st.integers(0, 30 - h)), data.draw(st.integers(0, 30 - w))
    tokens = arc.encode(grid, offset=(r0, c0))
    assert (arc.decode(arc.encode(grid)) == grid).all()
    canvas = tokens.reshape(30, 30)
    assert (canvas[r0:r0 + h, c0:c0 + w] - 2 == grid).all()
    back, offset = arc.locate(tokens)  # the translation's inverse
    assert offset == (r0, c0) and (back == grid).all()
    assert (canvas == 1).sum() == (w if r0 + h < 30 else 0) + (h if c0 + w < 30 else 0)


@FAST
@given(h=st.integers(2, 30), w=st.integers(2, 30), seed=seeds)
def test_maze_encode_decode_roundtrip(h, w, seed):
    rng = np.random.default_rng(seed)
    grid = rng.integers(0, 5, size=(h, w))
    for family in (get_family("maze"), get_family("maze", canvas=30)):
        assert (family.decode(family.encode(grid), grid.shape) == grid).all()
    text_grid = get_family("maze").parse(get_family("maze").format(grid), strict=False)
    assert (text_grid == grid).all()


@FAST
@given(seed=seeds, box=st.sampled_from([2, 3]))
def test_sudoku_text_and_tokens_roundtrip(seed, box):
    family = get_family("sudoku", box=box)
    n = box * box
    grid = np.random.default_rng(seed).integers(0, n + 1, size=(n, n))
    assert (family.parse(family.format(grid)) == grid).all()
    assert (family.parse(family.format_line(grid)) == grid).all()
    assert (family.decode(family.encode(grid)) == grid).all()
