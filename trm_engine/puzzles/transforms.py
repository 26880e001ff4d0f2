"""Grid symmetries shared by the maze and ARC families: the 8 dihedral transforms in the official
HRM/TRM numbering, their inverse table, and colour permutations that keep colour 0 fixed.

Numbering (dataset/common.py in both official repos): 0 identity, 1 rot90, 2 rot180, 3 rot270
(counter-clockwise, as np.rot90), 4 flip left-right, 5 flip up-down, 6 transpose, 7 anti-transpose.
"""

from __future__ import annotations

import numpy as np

DIHEDRAL_NAMES = ("identity", "rot90", "rot180", "rot270", "flip_lr", "flip_ud", "transpose",
                  "anti_transpose")
DIHEDRAL_INVERSE = (0, 3, 2, 1, 4, 5, 6, 7)  # rotations undo each other; reflections are involutions


def dihedral(grid: np.ndarray, t: int) -> np.ndarray:
    """Apply dihedral transform `t` (0..7) to a 2-D grid; returns a new contiguous array."""
    if t == 0:
        out = grid
    elif t in (1, 2, 3):
        out = np.rot90(grid, k=t)
    elif t == 4:
        out = grid[:, ::-1]
    elif t == 5:
        out = grid[::-1, :]
    elif t == 6:
        out = grid.T
    elif t == 7:
        out = np.rot90(grid, k=2).T  # the reflection in the anti-diagonal
    else:
        raise ValueError(f"dihedral transform id must be 0..7, got {t}")
    return np.ascontiguousarray(out)


def inverse_dihedral(grid: np.ndarray, t: int) -> np.ndarray:
    """Undo dihedral transform `t`."""
    return dihedral(grid, DIHEDRAL_INVERSE[t])


def dihedral_shape(shape: tuple[int, int], t: int) -> tuple[int, int]:
    """Shape of an (h, w) grid after transform `t` (transforms 1, 3, 6, 7 swap the sides)."""
    h, w = shape
    return (w, h) if t in (1, 3, 6, 7) else (h, w)


def random_colour_map(rng: np.random.Generator) -> np.ndarray:
    """A permutation of colours 0..9 that keeps 0 (black, the usual background) fixed."""
    return np.concatenate([[0], rng.permutation(np.arange(1, 10))]).astype(np.uint8)


def inverse_colour_map(mapping: np.ndarray) -> np.ndarray:
    """The permutation that undoes `mapping` (mapping[inverse[c]] == c)."""
    return np.argsort(np.asarray(mapping)).astype(np.uint8)


def is_colour_map(mapping) -> bool:
    """True for a permutation of 0..9 with 0 fixed."""
    m = np.asarray(mapping)
    return m.shape == (10,) and m[0] == 0 and sorted(m.tolist()) == list(range(10))
