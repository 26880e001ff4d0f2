"""One Sudoku solved in plain Python: the same search as the numba kernel in `sudoku_search`, step for
step, so counts, ratings (dead ends) and guesses are equal, without the JIT.

Solving one puzzle takes milliseconds here, while the first call into the kernel compiles it (about
30 s on a loaded 2-core machine, before the cache fills). So `SudokuFamily.solve`, `trm puzzle
solve|check` and the editors use this module; bulk work (generating datasets, checking imported
files) keeps the kernel. Same rules as the kernel: one candidate bitmask per cell (bit d-1 = digit d),
naked and hidden singles to a fixed point, branching on the first empty cell with the fewest
candidates (stopping the scan at two), digits tried lowest first, an explicit stack.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

RATER = "trm-lab-sudoku-rater"
RATER_VERSION = 1  # bump when the propagation rules (and so the ratings) change, here and in the kernel


@lru_cache(maxsize=4)
def tables(box: int) -> tuple[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]]:
    """(units, peers) in the kernel's order: rows, columns, then boxes; peers in cell order."""
    n = box * box
    rows = [tuple(r * n + c for c in range(n)) for r in range(n)]
    cols = [tuple(r * n + c for r in range(n)) for c in range(n)]
    boxes = [tuple(((b // box) * box + k // box) * n + (b % box) * box + k % box for k in range(n))
             for b in range(n)]
    units = tuple(rows + cols + boxes)
    peers = tuple(tuple(o for o in range(n * n) if o != cell and (
        o // n == cell // n or o % n == cell % n
        or (o // n // box == cell // n // box and o % n // box == cell % n // box)))
        for cell in range(n * n))
    return units, peers


def _digit(m: int) -> int:
    return (m & -m).bit_length()  # lowest set bit, 1-based


def _place(cells: list, cand: list, peers, cell: int, d: int) -> None:
    cells[cell] = d
    cand[cell] = 0
    clear = ~(1 << (d - 1))
    for p in peers[cell]:
        cand[p] &= clear


def _init(cells: list, cand: list, units, peers, n: int) -> bool:
    for unit in units:
        seen = 0
        for c in unit:
            d = cells[c]
            if d:
                if seen >> (d - 1) & 1:
                    return False
                seen |= 1 << (d - 1)
    full = (1 << n) - 1
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


def _propagate(cells: list, cand: list, units, peers, n: int) -> bool:
    """Naked then hidden singles, repeated until nothing changes; False on a contradiction."""
    full = (1 << n) - 1
    progress = True
    while progress:
        progress = False
        for cell in range(n * n):
            if cells[cell] == 0:
                m = cand[cell]
                if m == 0:
                    return False
                if m & (m - 1) == 0:
                    _place(cells, cand, peers, cell, _digit(m))
                    progress = True
        for unit in units:
            once = twice = placed = 0
            for c in unit:
                if cells[c]:
                    placed |= 1 << (cells[c] - 1)
                else:
                    m = cand[c]
                    twice |= once & m
                    once |= m
            if (once | placed) != full:
                return False
            hidden = once & ~twice & ~placed
            if hidden:
                for c in unit:
                    if cells[c] == 0:
                        m = cand[c] & hidden
                        if m:
                            if m & (m - 1):
                                return False
                            _place(cells, cand, peers, c, _digit(m))
                            progress = True
    return True


def _random_digit(rng, mask: int) -> int:
    """A uniform pick among the digits in `mask` (the kernel's randomised `_pick_digit`)."""
    k = rng.randrange(mask.bit_count())
    while k:
        mask &= mask - 1
        k -= 1
    return _digit(mask)


def solve_one(puzzle: np.ndarray, box: int, limit: int = 2, rng=None,
              exclude: tuple[int, int] | None = None) -> tuple[int, int, int, np.ndarray]:
    """(count up to `limit`, dead ends, guesses, first solution as flat int8) for one flat puzzle,
    equal to `sudoku_search.solve_one`. As in the kernel's search (used by the generator in
    `plain_generate`): `rng` (a `random.Random`) tries digits in random order instead of lowest
    first, and `exclude=(cell, digit)` rules that digit out in that cell before searching."""
    n = box * box
    nn = n * n
    units, peers = tables(box)
    cells = [int(v) for v in np.asarray(puzzle).ravel()]
    cand = [0] * nn
    solution = np.zeros(nn, np.int8)
    count = dead_ends = guesses = 0
    if not _init(cells, cand, units, peers, n):
        return 0, 0, 0, solution
    if exclude is not None:
        cand[exclude[0]] &= ~(1 << (exclude[1] - 1))
    stack: list[list] = []  # [cells, cand, cell, digits not tried yet] per branch point
    ok = _propagate(cells, cand, units, peers, n)
    while True:
        if ok:
            best, best_k = -1, n + 1
            for cell in range(nn):
                if cells[cell] == 0:
                    k = cand[cell].bit_count()
                    if k < best_k:
                        best, best_k = cell, k
                        if k == 2:
                            break
            if best < 0:
                count += 1
                if count == 1:
                    solution[:] = cells
                if count >= limit:
                    return count, dead_ends, guesses, solution
            else:
                stack.append([cells[:], cand[:], best, cand[best]])
        else:
            dead_ends += 1
        while stack and stack[-1][3] == 0:
            stack.pop()
        if not stack:
            return count, dead_ends, guesses, solution
        top = stack[-1]
        d = _digit(top[3]) if rng is None else _random_digit(rng, top[3])
        top[3] &= ~(1 << (d - 1))
        cells, cand = top[0][:], top[1][:]
        _place(cells, cand, peers, top[2], d)
        guesses += 1
        ok = _propagate(cells, cand, units, peers, n)
