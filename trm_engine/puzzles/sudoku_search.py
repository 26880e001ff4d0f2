"""Numba kernels for Sudoku: an exhaustive solver that counts solutions and rates difficulty, and a
seeded generator of unique-solution (optionally minimal) puzzles.

The solver keeps one bitmask of candidates per cell (bit d-1 = digit d), propagates naked and hidden
singles, and branches on the empty cell with the fewest candidates (first such cell in row-major order),
with an explicit stack instead of recursion so it compiles to a tight loop. Its difficulty rating is
the number of dead ends (contradictions) met while searching the *whole* tree: for a unique puzzle that
number does not depend on the digit order tried, so relabelled copies of a puzzle rate the same.
It is in the spirit of tdoku's backtrack count but not equal to it (tdoku also uses locked candidates).

Grids here are flat int8 arrays of length N*N (N = box*box), 0 = blank. Entry points: `solve_many`
(and `solve_one`) and `generate`. This module imports numba; everything else imports it lazily so
that opening a dataset or drawing a grid does not pay for it, and one puzzle is solved by the same
search in plain Python (`sudoku_solver`), which must change in step with this one.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .sudoku_solver import RATER, RATER_VERSION  # noqa: F401  (the rater both modules implement)


@njit(cache=True)
def _tables(box):
    """units (3N, N): cell indices of every row, column and box; peers (N*N, P): the other cells
    that share a unit with each cell."""
    n = box * box
    units = np.empty((3 * n, n), dtype=np.int32)
    for r in range(n):
        for c in range(n):
            units[r, c] = r * n + c  # row r
            units[n + c, r] = r * n + c  # column c
    for b in range(n):
        r0 = (b // box) * box
        c0 = (b % box) * box
        for k in range(n):
            units[2 * n + b, k] = (r0 + k // box) * n + c0 + k % box
    npeers = 3 * (n - 1) - 2 * (box - 1)
    peers = np.empty((n * n, npeers), dtype=np.int32)
    for cell in range(n * n):
        r = cell // n
        c = cell % n
        k = 0
        for other in range(n * n):
            if other == cell:
                continue
            r2 = other // n
            c2 = other % n
            if r2 == r or c2 == c or (r2 // box == r // box and c2 // box == c // box):
                peers[cell, k] = other
                k += 1
    return units, peers


@njit(cache=True)
def _popcount(m):
    k = 0
    while m:
        m &= m - 1
        k += 1
    return k


@njit(cache=True)
def _lowbit_digit(m):
    """Digit (1-based) of the lowest set bit of m (m != 0)."""
    d = 1
    while (m & 1) == 0:
        m >>= 1
        d += 1
    return d


@njit(cache=True)
def _place(cells, cand, peers, cell, d):
    bit = 1 << (d - 1)
    cells[cell] = d
    cand[cell] = 0
    for p in peers[cell]:
        cand[p] &= ~bit


@njit(cache=True)
def _init_candidates(cells, cand, units, peers, n):
    """Candidates of every empty cell from its givens; False if the givens already conflict."""
    full = (1 << n) - 1
    for u in range(units.shape[0]):
        seen = 0
        for c in units[u]:
            d = cells[c]
            if d:
                bit = 1 << (d - 1)
                if seen & bit:
                    return False
                seen |= bit
    for cell in range(n * n):
        if cells[cell]:
            cand[cell] = 0
            continue
        m = full
        for p in peers[cell]:
            if cells[p]:
                m &= ~(1 << (cells[p] - 1))
        cand[cell] = m
    return True


@njit(cache=True)
def _propagate(cells, cand, units, peers, n):
    """Naked and hidden singles until nothing changes. False on a contradiction."""
    full = (1 << n) - 1
    progress = True
    while progress:
        progress = False
        for cell in range(n * n):
            if cells[cell] == 0:
                m = cand[cell]
                if m == 0:
                    return False
                if (m & (m - 1)) == 0:
                    _place(cells, cand, peers, cell, _lowbit_digit(m))
                    progress = True
        for u in range(units.shape[0]):
            once = 0
            twice = 0
            placed = 0
            for c in units[u]:
                if cells[c]:
                    placed |= 1 << (cells[c] - 1)
                else:
                    m = cand[c]
                    twice |= once & m
                    once |= m
            if (once | placed) != full:
                return False  # some digit has no place left in this unit
            hidden = once & ~twice & ~placed
            if hidden:
                for c in units[u]:
                    if cells[c] == 0:
                        m = cand[c] & hidden
                        if m:
                            if m & (m - 1):
                                return False  # one cell is the only place for two digits
                            _place(cells, cand, peers, c, _lowbit_digit(m))
                            progress = True
    return True


@njit(cache=True)
def _pick_digit(mask, randomize):
    if not randomize:
        return _lowbit_digit(mask)
    k = np.random.randint(0, _popcount(mask))
    d = 1
    while True:
        if mask & 1:
            if k == 0:
                return d
            k -= 1
        mask >>= 1
        d += 1


@njit(cache=True)
def _workspace(box):
    """Unit tables and search stacks, made once per kernel call (making them per search cost more than
    the search itself when generating)."""
    n = box * box
    nn = n * n
    units, peers = _tables(box)
    stack_cells = np.empty((nn + 1, nn), dtype=np.int8)
    stack_cand = np.empty((nn + 1, nn), dtype=np.int32)
    stack_cell = np.empty(nn + 1, dtype=np.int32)
    stack_left = np.empty(nn + 1, dtype=np.int32)  # candidates not tried yet at each branch point
    return units, peers, stack_cells, stack_cand, stack_cell, stack_left


@njit(cache=True)
def _search(puzzle, box, limit, randomize, solution, exclude_cell, exclude_digit, workspace):
    """Search `puzzle` (flat int8, 0 = blank) until `limit` solutions are found or the tree is exhausted.
    Writes the first solution into `solution`; returns (count, dead_ends, guesses). With
    exclude_cell >= 0, digit `exclude_digit` is ruled out there first (see `generate`). Callers pass
    int64 cell/digit so that one compiled version serves all of them."""
    units, peers, stack_cells, stack_cand, stack_cell, stack_left = workspace
    n = box * box
    nn = n * n
    cells = puzzle.copy()
    cand = np.empty(nn, dtype=np.int32)
    count = 0
    dead_ends = 0
    guesses = 0
    if not _init_candidates(cells, cand, units, peers, n):
        return 0, 0, 0
    if exclude_cell >= 0:
        cand[exclude_cell] &= ~(1 << (exclude_digit - 1))
    depth = 0
    ok = _propagate(cells, cand, units, peers, n)
    while True:
        if ok:
            best = -1
            best_k = n + 1
            for cell in range(nn):
                if cells[cell] == 0:
                    k = _popcount(cand[cell])
                    if k < best_k:
                        best_k = k
                        best = cell
                        if k == 2:
                            break
            if best < 0:
                count += 1
                if count == 1:
                    solution[:] = cells
                if count >= limit:
                    return count, dead_ends, guesses
            else:  # branch: remember this node, then try its first candidate
                stack_cells[depth] = cells
                stack_cand[depth] = cand
                stack_cell[depth] = best
                stack_left[depth] = cand[best]
                depth += 1
        else:
            dead_ends += 1
        # Next alternative at the deepest branch point that has one left.
        while depth > 0 and stack_left[depth - 1] == 0:
            depth -= 1
        if depth == 0:
            return count, dead_ends, guesses
        top = depth - 1
        d = _pick_digit(stack_left[top], randomize)
        stack_left[top] &= ~(1 << (d - 1))
        cells[:] = stack_cells[top]
        cand[:] = stack_cand[top]
        _place(cells, cand, peers, stack_cell[top], d)
        guesses += 1
        ok = _propagate(cells, cand, units, peers, n)


@njit(cache=True)
def _kernel(generating, box, limit, seed, min_rating, max_rating, min_clues, max_attempts,
            puzzles, solutions, counts, dead_ends, guesses):
    """The one compiled entry point (numba re-optimises `_search` inside every caller, so two entry
    points doubled the first-run compile time). Solving: search each row of `puzzles`. Generating: fill
    the rows; dead_ends receives the ratings. Returns (rows done, attempts)."""
    ws = _workspace(box)
    if not generating:
        for i in range(puzzles.shape[0]):
            counts[i], dead_ends[i], guesses[i] = _search(puzzles[i], box, limit, False, solutions[i],
                                                          -1, 0, ws)
        return puzzles.shape[0], 0
    np.random.seed(seed)
    nn = box ** 4
    empty = np.zeros(nn, dtype=np.int8)
    scratch = np.empty(nn, dtype=np.int8)
    accepted = 0
    attempts = 0
    while accepted < puzzles.shape[0] and attempts < max_attempts:
        attempts += 1
        full = np.empty(nn, dtype=np.int8)
        _search(empty, box, 1, True, full, -1, 0, ws)  # a random complete grid
        puzzle = full.copy()
        clues = nn
        for cell in np.random.permutation(nn):
            if clues <= min_clues:
                break
            keep = puzzle[cell]
            puzzle[cell] = 0
            # Still unique iff no solution puts another digit in this cell: one search that never
            # has to find (and then step past) the known solution.
            c, _, _ = _search(puzzle, box, 1, False, scratch, np.int64(cell), np.int64(keep), ws)
            if c == 0:
                clues -= 1
            else:
                puzzle[cell] = keep
        _, rating, _ = _search(puzzle, box, 2, False, scratch, -1, 0, ws)
        if rating < min_rating or (max_rating >= 0 and rating > max_rating):
            continue
        puzzles[accepted] = puzzle
        solutions[accepted] = full
        dead_ends[accepted] = rating
        accepted += 1
    return accepted, attempts


def solve_many(puzzles, box, limit, counts, dead_ends, guesses, solutions) -> None:
    """Search every row of a (B, N*N) int8 array, counting solutions up to `limit` (int64 outputs)."""
    _kernel(False, box, limit, 0, 0, -1, 0, 0, puzzles, solutions, counts, dead_ends, guesses)


def solve_one(puzzle: np.ndarray, box: int, limit: int = 2):
    """(count, dead_ends, guesses, solution) for one flat puzzle."""
    n = box * box
    rows = np.ascontiguousarray(puzzle, dtype=np.int8).reshape(1, n * n)
    counts, dead, guesses = (np.zeros(1, np.int64) for _ in range(3))
    solutions = np.zeros((1, n * n), np.int8)
    solve_many(rows, box, limit, counts, dead, guesses, solutions)
    return int(counts[0]), int(dead[0]), int(guesses[0]), solutions[0]


def generate(box, seed, min_rating, max_rating, min_clues, max_attempts, puzzles, solutions, ratings):
    """Fill the rows of puzzles/solutions (int8, C order) and ratings with unique-solution puzzles
    whose rating (dead ends) lies in [min_rating, max_rating] (max_rating < 0: no upper bound). Clues
    are removed in random order while the solution stays unique, down to `min_clues` (0 = minimal).
    Returns (accepted, attempts); stops early after `max_attempts` candidate puzzles."""
    rated = np.zeros(len(puzzles), np.int64)
    unused = np.zeros(len(puzzles), np.int64)
    done = _kernel(True, box, 2, seed, min_rating, max_rating, min_clues, max_attempts, puzzles, solutions,
                   unused, rated, unused)
    ratings[:] = rated
    return done
