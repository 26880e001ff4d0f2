"""The two generators in plain Python, for a few puzzles while numba's kernels are not compiled yet.

Compiling the generator kernels (`sudoku_search`, `maze_search`) costs 15-30 s of CPU the first time
after an install; generating one puzzle here costs a fraction of a second. So `generate.generate_sudoku`
and `generate.generate_mazes` come here for small requests (the editors' Generate, a handful of
puzzles) until the kernels are warm, and keep the kernels for bulk work. Same procedures, same
settings, same ratings as the kernels, not the same random draws: a seed gives the same puzzles every
time on this path, and other (equally valid) puzzles than on the kernel path.

- Sudoku: a random complete grid (the solver trying digits in random order), then clues removed in
  random order while the solution stays unique (one search with the removed digit ruled out finds
  nothing), down to `min_clues`; kept when its rating (dead ends of a full search, `sudoku_solver`)
  lies in [min_rating, max_rating].
- Mazes: the Searchformer procedure: a wall fraction drawn from [wall_lo, wall_hi], that many walls on
  random cells, a random open start, up to `goal_draws` random open goals; the first goal more than
  `min_path` steps away is kept. One BFS per layout; the label is `maze.shortest_paths`' path.

Both fill caller-given arrays and return (accepted, attempts), like the kernels they stand in for.
"""

from __future__ import annotations

import random

import numpy as np

from .maze import GOAL, OPEN, START, WALL, shortest_paths
from .sudoku_solver import solve_one, tables


def generate_sudoku(box: int, seed: int, min_rating: int, max_rating: int, min_clues: int,
                    max_attempts: int, puzzles: np.ndarray, solutions: np.ndarray,
                    ratings: np.ndarray) -> tuple[int, int]:
    """Fill the rows of puzzles/solutions (flat int8) and ratings with unique-solution puzzles rated in
    [min_rating, max_rating] (max_rating < 0: no upper bound); the arguments of
    `sudoku_search.generate`. Returns (accepted, candidate puzzles drawn)."""
    rng = random.Random(seed)
    nn = box ** 4
    _, peers = tables(box)
    every_digit = (1 << (box * box + 1)) - 1  # bits 0..n: blank and every digit
    empty = np.zeros(nn, np.int8)
    order = list(range(nn))
    accepted = attempts = 0
    while accepted < len(puzzles) and attempts < max_attempts:
        attempts += 1
        _, _, _, full = solve_one(empty, box, 1, rng=rng)
        puzzle = full.tolist()
        clues = nn
        rng.shuffle(order)
        for cell in order:
            if clues <= min_clues:
                break
            keep = puzzle[cell]
            puzzle[cell] = 0
            seen = 1 << keep
            for p in peers[cell]:
                seen |= 1 << puzzle[p]
            # Still unique if the other clues force `keep` here (a naked single: every other digit
            # among its peers), or if no solution puts another digit here (a search finds none).
            if (seen | 1) == every_digit or solve_one(puzzle, box, 1, exclude=(cell, keep))[0] == 0:
                clues -= 1
            else:
                puzzle[cell] = keep
        rating = solve_one(puzzle, box, 2)[1]
        if rating < min_rating or (max_rating >= 0 and rating > max_rating):
            continue
        puzzles[accepted], solutions[accepted], ratings[accepted] = puzzle, full, rating
        accepted += 1
    return accepted, attempts


def _neighbours(h: int, w: int) -> list[tuple[int, ...]]:
    """Flat neighbour indices per cell, up, down, left, right (the kernels' order)."""
    out = []
    for cell in range(h * w):
        r, c = divmod(cell, w)
        out.append(tuple(nxt for nxt, inside in ((cell - w, r > 0), (cell + w, r < h - 1), (cell - 1, c > 0),
                                                 (cell + 1, c < w - 1)) if inside))
    return out


def _distances(open_cells: bytes, nb: list[tuple[int, ...]], start: int) -> tuple[list[int], int]:
    """(steps from `start` to every cell (-1: wall or unreachable), the largest of them)."""
    dist = [-1] * len(nb)
    dist[start] = 0
    order = [start]
    for cell in order:  # the list grows while it is walked: a FIFO queue
        d = dist[cell] + 1
        for nxt in nb[cell]:
            if dist[nxt] < 0 and open_cells[nxt]:
                dist[nxt] = d
                order.append(nxt)
    return dist, dist[order[-1]]  # BFS order is by distance


def generate_mazes(count: int, h: int, w: int, seed: int, wall_lo: float, wall_hi: float, min_path: int,
                   goal_draws: int, max_layouts: int, grids: np.ndarray, labels: np.ndarray,
                   lengths: np.ndarray, unique: bool) -> tuple[int, int]:
    """Fill up to `count` rows of grids/labels (flat int8) and lengths with mazes whose shortest path is
    longer than `min_path` steps (and the only one, if `unique`); the arguments of
    `maze_search.generate`. Returns (accepted, layouts)."""
    rng = random.Random(seed)
    shuffle = np.random.default_rng(seed)  # the walls: a permutation in C (random.sample cost 60%)
    n = h * w
    nb = _neighbours(h, w)
    accepted = layouts = 0
    while accepted < count and layouts < max_layouts:
        layouts += 1
        num_walls = int((wall_lo + (wall_hi - wall_lo) * rng.random()) * n)
        num_free = n - num_walls
        if num_free < 2:
            continue
        cells = shuffle.permutation(n)  # the first num_walls are walls: a uniform random set
        grid = np.full(n, OPEN, np.int8)
        grid[cells[:num_walls]] = WALL
        open_cells = grid.tobytes()  # 1 = OPEN, 0 = WALL: truthy where open
        free = cells[num_walls:].tolist()
        start = free[rng.randrange(num_free)]
        dist, farthest = _distances(open_cells, nb, start)
        goal = -1
        for _ in range(goal_draws if farthest > min_path else 0):  # (no goal could pass: skip the draws)
            g = free[rng.randrange(num_free)]
            if dist[g] > min_path and (not unique or shortest_paths(grid, h, w, start, g, cap=2)[1] == 1):
                goal = g
                break
        if goal < 0:
            continue
        grid[start], grid[goal] = START, GOAL
        steps, _, label = shortest_paths(grid, h, w, start, goal, cap=1)
        grids[accepted], labels[accepted], lengths[accepted] = grid, label, steps
        accepted += 1
    return accepted, layouts

