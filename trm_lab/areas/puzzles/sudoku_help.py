"""What the Sudoku editor tells a player, computed from numpy grids without Qt: which entries are
wrong (differ from the unique solution), which cell a hint fills, and the words for both."""

from __future__ import annotations

import numpy as np

from trm_engine.puzzles.base import cell_name


def wrong_entries(cells: np.ndarray, fixed: np.ndarray, solution: np.ndarray) -> list[tuple[int, int]]:
    """Entries (non-given digits) that differ from `solution`, row-major."""
    wrong = (cells > 0) & ~(fixed > 0) & (cells != solution)
    return [(int(r), int(c)) for r, c in zip(*np.nonzero(wrong))]


def candidate_counts(cells: np.ndarray, box: int) -> np.ndarray:
    """For each empty cell, how many digits its row, column and box still allow (n + 1 elsewhere)."""
    n = box * box
    counts = np.full(cells.shape, n + 1, dtype=np.int64)
    for r, c in zip(*np.nonzero(cells == 0)):
        r0, c0 = r // box * box, c // box * box
        seen = set(cells[r].tolist()) | set(cells[:, c].tolist()) | set(cells[r0:r0 + box, c0:c0 + box].ravel().tolist())
        counts[r, c] = n - len(seen - {0})
    return counts


def hint_cell(cells: np.ndarray, fixed: np.ndarray, solution: np.ndarray, box: int) -> tuple[int, int] | None:
    """The cell a hint fills: the first wrong entry, else the empty cell with the fewest candidates
    (the one a solver by hand would look at next), else None (the grid is full and right)."""
    wrong = wrong_entries(cells, fixed, solution)
    if wrong:
        return wrong[0]
    if not (cells == 0).any():
        return None
    counts = candidate_counts(cells, box)
    r, c = np.unravel_index(int(np.argmin(counts)), counts.shape)
    return int(r), int(c)


def names(cells: list[tuple[int, int]], limit: int = 8) -> str:
    """"r1c3, r4c5" (at most `limit`, then "and k more")."""
    text = ", ".join(cell_name(r, c) for r, c in cells[:limit])
    return text + (f" and {len(cells) - limit} more" if len(cells) > limit else "")


def replaced_text(cells: np.ndarray, fixed: np.ndarray, solution: np.ndarray) -> str:
    """What Solve overwrote: "" or "; it replaced 2 entries: r1c3 (4 -> 6), r2c5 (9 -> 1)"."""
    wrong = wrong_entries(cells, fixed, solution)
    if not wrong:
        return ""
    changes = ", ".join(f"{cell_name(r, c)} ({cells[r, c]} \u2192 {solution[r, c]})" for r, c in wrong[:8])
    more = f" and {len(wrong) - 8} more" if len(wrong) > 8 else ""
    return f"; it replaced {len(wrong)} entr{'y' if len(wrong) == 1 else 'ies'}: {changes}{more}"
