"""Mazes in the HRM/TRM `# SGo` format: text I/O, validation, BFS shortest path (the label is the input
with the path marked 'o'), token encoding into a canvas, and path checking.

Grid values index the charset "# SGo": 0 wall '#', 1 open ' ', 2 start 'S', 3 goal 'G', 4 path 'o'.
Token = value + 1 (PAD 0). Any size from 2x2 up to 30x30 (so a one-line text is always n x n); with a canvas (e.g. 30, as the official
data uses) a smaller maze sits in the top-left corner and the rest of the canvas is PAD.
"""

from __future__ import annotations

import numpy as np

from ..errors import PuzzleError
from .base import Family, Problem, SolveResult, as_int_grid, cell_name

CHARSET = "# SGo"
WALL, OPEN, START, GOAL, PATH = range(5)
MAX_SIDE = 30


def shortest_paths(flat: np.ndarray, h: int, w: int, start: int, goal: int, cap: int = 2):
    """BFS from `start` in plain Python (a few ms even at 30x30; the numba kernels in `maze_search`
    are for generating, where millions of layouts are searched): (steps to goal or -1, number of
    shortest paths capped at `cap`, the grid with one shortest path marked, or None). The same
    neighbour order as the kernels (up, down, left, right), so the same path becomes the label."""
    grid = flat.tolist()
    dist = [-1] * (h * w)
    dist[start] = 0
    order = [start]
    for cell in order:  # the list grows while it is walked: a FIFO queue
        r, c = divmod(cell, w)
        for nxt, inside in ((cell - w, r > 0), (cell + w, r < h - 1), (cell - 1, c > 0), (cell + 1, c < w - 1)):
            if inside and dist[nxt] < 0 and grid[nxt] != WALL:
                dist[nxt] = dist[cell] + 1
                order.append(nxt)
    if dist[goal] < 0:
        return -1, 0, None

    def closer(cell):
        r, c = divmod(cell, w)
        for nxt, inside in ((cell - w, r > 0), (cell + w, r < h - 1), (cell - 1, c > 0), (cell + 1, c < w - 1)):
            if inside and dist[nxt] == dist[cell] - 1:
                yield nxt

    ways = [0] * (h * w)
    ways[start] = 1
    for cell in order[1:]:  # BFS order is by distance
        ways[cell] = min(sum(ways[p] for p in closer(cell)), cap)
    label = np.array(grid, dtype=np.int8)
    cell = goal
    while dist[cell] > 1:
        cell = next(closer(cell))
        label[cell] = PATH
    return dist[goal], ways[goal], label


class MazeFamily(Family):
    name = "maze"
    vocab_size = len(CHARSET) + 1

    def __init__(self, canvas: int | None = None):
        if canvas is not None and not 2 <= canvas <= MAX_SIDE:
            raise PuzzleError(f"maze: canvas must be 2..{MAX_SIDE}, got {canvas}")
        self.canvas = canvas

    @property
    def options(self) -> dict:
        return {} if self.canvas is None else {"canvas": self.canvas}

    def __repr__(self) -> str:
        return f"MazeFamily(canvas={self.canvas})"

    # -- tokens ----------------------------------------------------------------------------------
    def seq_len(self, shape=None) -> int:
        if self.canvas is not None:
            return self.canvas * self.canvas
        if shape is None:
            return MAX_SIDE * MAX_SIDE
        return int(shape[0]) * int(shape[1])

    def encode(self, grid: np.ndarray) -> np.ndarray:
        g = self._checked(grid)
        if self.canvas is None:
            return (g.ravel() + 1).astype(np.uint8)
        h, w = g.shape
        if h > self.canvas or w > self.canvas:
            raise PuzzleError(f"maze: a {h}x{w} maze does not fit the {self.canvas}x{self.canvas} canvas")
        out = np.zeros((self.canvas, self.canvas), dtype=np.uint8)
        out[:h, :w] = g + 1
        return out.ravel()

    def decode(self, tokens: np.ndarray, shape=None) -> np.ndarray:
        """Tokens -> grid. With a canvas and no shape the maze is the top-left block of non-PAD tokens;
        PAD (or a stray 0 in a prediction) inside the maze reads as a wall."""
        t = np.asarray(tokens).ravel().astype(np.int64)
        if t.size and (t.min() < 0 or t.max() >= self.vocab_size):
            raise PuzzleError(f"maze: tokens must be 0..{self.vocab_size - 1}")
        side = self.canvas or int(round(t.size ** 0.5))
        if shape is None and self.canvas is None and side * side != t.size:
            raise PuzzleError(f"maze: {t.size} tokens do not form a square; give the shape")
        if shape is not None and self.canvas is None:
            h, w = shape
            if h * w != t.size:
                raise PuzzleError(f"maze: {t.size} tokens do not fit shape {h}x{w}")
            return np.maximum(t - 1, 0).reshape(h, w)
        if side * side != t.size:
            raise PuzzleError(f"maze: expected {side * side} tokens, got {t.size}")
        canvas = t.reshape(side, side)
        if shape is None:
            rows = np.nonzero((canvas != 0).any(axis=1))[0]
            cols = np.nonzero((canvas != 0).any(axis=0))[0]
            shape = (rows[-1] + 1 if rows.size else 0, cols[-1] + 1 if cols.size else 0)
        h, w = shape
        return np.maximum(canvas[:h, :w] - 1, 0)

    # -- text ------------------------------------------------------------------------------------
    def parse(self, text: str, source: str = "<string>", strict: bool = True) -> np.ndarray:
        """`# SGo` rows, one per line; or one line of n*n characters (the CSV form: 900 for 30x30).
        strict: also require exactly one S and one G (an editor may load half-drawn mazes with False)."""
        lines = str(text).splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        if not lines:
            raise PuzzleError(f"{source}: empty maze")
        if len(lines) == 1:  # the CSV form of an n x n maze (mazes have at least 2 rows)
            side = int(round(len(lines[0]) ** 0.5))
            if side < 2 or side * side != len(lines[0]):
                raise PuzzleError(f"{source}: a one-line maze must have n*n characters (n >= 2), "
                                  f"got {len(lines[0])}")
            lines = [lines[0][i * side:(i + 1) * side] for i in range(side)]
        width = len(lines[0])
        if len(lines) > MAX_SIDE or width > MAX_SIDE:
            raise PuzzleError(f"{source}: maze is {len(lines)}x{width}; at most {MAX_SIDE}x{MAX_SIDE}")
        lookup = {ch: i for i, ch in enumerate(CHARSET)}
        grid = np.empty((len(lines), width), dtype=np.int64)
        for r, line in enumerate(lines):
            if len(line) != width:
                raise PuzzleError(f"{source}: row {r + 1} has {len(line)} characters, row 1 has {width} "
                                  "(mazes must be rectangular; were trailing spaces stripped?)")
            for c, ch in enumerate(line):
                if ch not in lookup:
                    raise PuzzleError(f"{source}: {cell_name(r, c)}: unknown character {ch!r} "
                                      f"(allowed: '#' wall, ' ' open, 'S', 'G', 'o' path)")
                grid[r, c] = lookup[ch]
        problems = self.validate(grid) if strict else []
        if problems:
            raise PuzzleError(f"{source}: {problems[0].message}")
        return grid

    def format(self, grid: np.ndarray) -> str:
        g = self._checked(grid)
        return "\n".join("".join(CHARSET[v] for v in row) for row in g) + "\n"

    def format_line(self, grid: np.ndarray) -> str:
        """The one-line form of the Maze-Hard CSV."""
        return self.format(grid).replace("\n", "")

    # -- validity --------------------------------------------------------------------------------
    def validate(self, grid: np.ndarray) -> list[Problem]:
        try:
            g = as_int_grid(grid, "maze")
        except PuzzleError as exc:
            return [Problem(str(exc))]
        h, w = g.shape
        if not (2 <= h <= MAX_SIDE and 2 <= w <= MAX_SIDE):
            return [Problem(f"maze is {h}x{w}; mazes are 2x2 to {MAX_SIDE}x{MAX_SIDE}")]
        bad = list(zip(*np.nonzero((g < 0) | (g > PATH))))
        if bad:
            return [Problem(f"{cell_name(r, c)}: value {g[r, c]} is not one of 0-4 ('# SGo')",
                            ((int(r), int(c)),)) for r, c in bad]
        problems = []
        for value, name in ((START, "start S"), (GOAL, "goal G")):
            at = [(int(r), int(c)) for r, c in zip(*np.nonzero(g == value))]
            if not at:
                problems.append(Problem(f"the maze has no {name}"))
            elif len(at) > 1:
                problems.append(Problem(f"the maze has {len(at)} cells marked {name[-1]} ("
                                        + ", ".join(cell_name(r, c) for r, c in at) + "); expected one",
                                        tuple(at)))
        return problems

    def check_solution(self, puzzle: np.ndarray, answer: np.ndarray) -> list[Problem]:
        """The answer must be the puzzle with exactly one shortest S-G path marked 'o'."""
        p, a = self._checked(puzzle), self._checked(answer)
        if a.shape != p.shape:
            return [Problem(f"answer is {a.shape[0]}x{a.shape[1]}, maze is {p.shape[0]}x{p.shape[1]}")]
        problems = []
        changed = (a != p) & ~((p == OPEN) & (a == PATH)) & ~((p == PATH) & (a == OPEN))
        for r, c in zip(*np.nonzero(changed)):
            problems.append(Problem(f"{cell_name(r, c)}: '{CHARSET[p[r, c]]}' in the maze became "
                                    f"'{CHARSET[a[r, c]]}'", ((int(r), int(c)),)))
        if problems:
            return problems
        best = self.solve(np.where(p == PATH, OPEN, p))
        if best.count == 0:
            return [Problem("the maze has no path from S to G")]
        # The marked cells plus S and G must connect S to G, and be exactly as many as a shortest path.
        walkable = np.where((a == PATH) | (a == START) | (a == GOAL), OPEN, WALL)
        walkable[a == START], walkable[a == GOAL] = START, GOAL
        route = self.solve(walkable)
        steps = best.extra["steps"]
        marked = int((a == PATH).sum())
        if route.count == 0:
            return [Problem("the marked path does not connect S to G")]
        if marked != steps - 1:
            return [Problem(f"the marked path has {marked} cells; a shortest path has {steps - 1} "
                            f"({steps} steps)")]
        return []

    # -- solving ---------------------------------------------------------------------------------
    def solve(self, grid: np.ndarray) -> SolveResult:
        """BFS from S. count = number of shortest paths (0, 1, or 2 for 'two or more'); solution = the
        label (one canonical shortest path marked); extra['steps'] = its length in moves."""
        g = self._checked(grid)
        problems = self.validate(g)
        if problems:
            raise PuzzleError(f"maze: {problems[0].message}")
        h, w = g.shape
        flat = np.where(g == PATH, OPEN, g).astype(np.int8).ravel()
        start, goal = int(np.flatnonzero(flat == START)[0]), int(np.flatnonzero(flat == GOAL)[0])
        steps, count, label = shortest_paths(flat, h, w, start, goal, 2)
        if steps < 0:
            return SolveResult(0, None, 0, {"steps": -1})
        return SolveResult(int(count), label.reshape(h, w).astype(np.int64), 0, {"steps": int(steps)})

    def label(self, grid: np.ndarray) -> np.ndarray:
        result = self.solve(grid)
        if result.count == 0:
            raise PuzzleError("maze: there is no path from S to G")
        return result.solution

    def _checked(self, grid) -> np.ndarray:
        g = as_int_grid(grid, "maze")
        h, w = g.shape
        if not (1 <= h <= MAX_SIDE and 1 <= w <= MAX_SIDE):
            raise PuzzleError(f"maze: grid is {h}x{w}; mazes are at most {MAX_SIDE}x{MAX_SIDE}")
        if g.min() < 0 or g.max() > PATH:
            raise PuzzleError("maze: values must be 0-4 (index into '# SGo')")
        return g
