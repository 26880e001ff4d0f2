"""ARC-AGI: tasks as JSON (`{"train": [{"input", "output"}], "test": [...]}`), grid validation, the
official 30x30 canvas encoding with its EOS border and translation offset, the official crop rule for
decoding predictions, and the augmentations (dihedral + colour permutation with 0 fixed).

Tokens: PAD 0, EOS 1, colour c -> c+2 (vocab 12). A grid placed at offset (r0, c0) gets EOS on the row
just below it (over its columns) and the column just right of it (over its rows), where those fit in
the canvas; the corner cell stays PAD. Decoding takes the largest top-left rectangle of colour tokens.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import PuzzleError
from .base import Family, Problem, SolveResult, as_int_grid, cell_name, read_text
from .transforms import DIHEDRAL_INVERSE, dihedral, inverse_colour_map, is_colour_map

MAX_SIDE = 30
EOS = 1
NAME_SEPARATOR = "|||"  # official augmented-name separator: "<task>|||t<k>|||<colour map digits>"


@dataclass
class ArcPair:
    """One input/output example; `output` is None for a test input whose answer is not known."""

    input: np.ndarray
    output: np.ndarray | None = None


@dataclass
class ArcTask:
    name: str
    train: list[ArcPair] = field(default_factory=list)
    test: list[ArcPair] = field(default_factory=list)

    @classmethod
    def from_json(cls, obj, name: str = "task", source: str | None = None) -> ArcTask:
        """Build from the decoded JSON object; PuzzleError names the source, pair and problem."""
        where = source or name
        if not isinstance(obj, dict):
            raise PuzzleError(f"{where}: a task is a JSON object with 'train' and 'test', "
                              f"got {type(obj).__name__}")
        pairs = {}
        for part in ("train", "test"):
            items = obj.get(part)
            if not isinstance(items, list):
                raise PuzzleError(f"{where}: '{part}' must be a list of {{'input', 'output'}} pairs")
            pairs[part] = []
            for i, item in enumerate(items):
                label = f"{where}: {part} pair {i + 1}"
                if not isinstance(item, dict) or "input" not in item:
                    raise PuzzleError(f"{label}: expected an object with 'input' (and 'output')")
                if part == "train" and "output" not in item:
                    raise PuzzleError(f"{label}: a demonstration pair needs an 'output'")
                inp = grid_from_json(item["input"], f"{label} input")
                out = item.get("output")
                out = None if out is None else grid_from_json(out, f"{label} output")
                pairs[part].append(ArcPair(inp, out))
        if not pairs["train"]:
            raise PuzzleError(f"{where}: the task has no demonstration ('train') pairs")
        if not pairs["test"]:
            raise PuzzleError(f"{where}: the task has no 'test' pairs")
        return cls(name, pairs["train"], pairs["test"])

    @classmethod
    def loads(cls, text: str, name: str = "task", source: str | None = None) -> ArcTask:
        try:
            obj = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise PuzzleError(f"{source or name}: not valid JSON ({exc})") from None
        return cls.from_json(obj, name, source)

    @classmethod
    def load(cls, path: str | Path) -> ArcTask:
        path = Path(path)
        return cls.loads(read_text(path), name=path.stem, source=str(path))

    def to_json(self) -> dict:
        def pair(p: ArcPair) -> dict:
            d = {"input": p.input.tolist()}
            if p.output is not None:
                d["output"] = p.output.tolist()
            return d

        return {"train": [pair(p) for p in self.train], "test": [pair(p) for p in self.test]}

    def dumps(self) -> str:
        return json.dumps(self.to_json(), separators=(",", ":"))

    def save(self, path: str | Path) -> None:
        from .files import atomic_write_text

        atomic_write_text(path, self.dumps())

    def grids(self) -> list[np.ndarray]:
        """Every grid of the task (inputs and known outputs, demonstrations then tests)."""
        out = []
        for p in self.train + self.test:
            out.append(p.input)
            if p.output is not None:
                out.append(p.output)
        return out


def grid_from_json(value, what: str = "grid") -> np.ndarray:
    """A JSON list of rows -> uint8 grid, checking rectangularity, 1..30 sides and colours 0..9."""
    if not isinstance(value, list) or not value:
        raise PuzzleError(f"{what}: a grid is a non-empty list of rows")
    width = None
    for r, row in enumerate(value):
        if not isinstance(row, list):
            raise PuzzleError(f"{what}: row {r + 1} is not a list")
        if width is None:
            width = len(row)
        elif len(row) != width:
            raise PuzzleError(f"{what}: row {r + 1} has {len(row)} cells, row 1 has {width} (ragged grid)")
        for c, v in enumerate(row):
            if type(v) is not int:
                raise PuzzleError(f"{what}: {cell_name(r, c)} is {v!r}, not an integer colour")
            if not 0 <= v <= 9:
                raise PuzzleError(f"{what}: {cell_name(r, c)} has colour {v}; colours are 0-9")
    h = len(value)
    if not (1 <= h <= MAX_SIDE and 1 <= width <= MAX_SIDE):
        raise PuzzleError(f"{what}: grid is {h}x{width}; ARC grids are 1x1 to {MAX_SIDE}x{MAX_SIDE}")
    return np.array(value, dtype=np.uint8)


@dataclass(frozen=True)
class ArcAugment:
    """One ARC augmentation: colour c -> colours[c] (0 fixed), then dihedral transform `dihedral`.
    This is the official order (map colours, then transform) and naming."""

    dihedral: int = 0
    colours: tuple[int, ...] = tuple(range(10))

    @classmethod
    def random(cls, rng: np.random.Generator) -> ArcAugment:
        colours = (0, *(int(c) + 1 for c in rng.permutation(9)))
        return cls(int(rng.integers(0, 8)), colours)

    @classmethod
    def from_array(cls, row) -> ArcAugment:
        """From the 11-byte form stored in dataset files: [dihedral, colour map 0..9]."""
        row = np.asarray(row)
        return cls(int(row[0]), tuple(int(c) for c in row[1:11]))

    def to_array(self) -> np.ndarray:
        return np.array([self.dihedral, *self.colours], dtype=np.uint8)

    @property
    def is_identity(self) -> bool:
        return self.dihedral == 0 and self.colours == tuple(range(10))

    def apply(self, grid: np.ndarray) -> np.ndarray:
        return dihedral(np.asarray(self.colours, dtype=np.uint8)[grid], self.dihedral)

    def invert(self, grid: np.ndarray) -> np.ndarray:
        back = dihedral(np.asarray(grid), DIHEDRAL_INVERSE[self.dihedral])
        return inverse_colour_map(np.asarray(self.colours))[back]

    def token_map(self) -> np.ndarray:
        """The colour map on tokens: PAD and EOS stay, colour token c+2 -> colours[c]+2."""
        return np.array([0, EOS, *(c + 2 for c in self.colours)], dtype=np.uint8)

    def name(self, task: str) -> str:
        """Official augmented puzzle name (the identity keeps the plain task name)."""
        if self.is_identity:
            return task
        return f"{task}{NAME_SEPARATOR}t{self.dihedral}{NAME_SEPARATOR}{''.join(map(str, self.colours))}"

    @classmethod
    def parse_name(cls, name: str) -> tuple[str, ArcAugment]:
        """Split an official puzzle name into (task, augmentation); PuzzleError if malformed."""
        if NAME_SEPARATOR not in name:
            return name, cls()
        parts = name.split(NAME_SEPARATOR)
        try:
            t = int(parts[-2][1:]) if parts[-2].startswith("t") else -1
            colours = tuple(int(ch) for ch in parts[-1])
        except ValueError:
            t, colours = -1, ()
        if not 0 <= t <= 7 or not is_colour_map(colours):
            raise PuzzleError(f"puzzle name {name!r}: expected <task>|||t<0-7>|||<10-digit colour map>")
        return NAME_SEPARATOR.join(parts[:-2]), cls(t, colours)


class ArcFamily(Family):
    name = "arc"
    vocab_size = 12

    def __init__(self, canvas: int = MAX_SIDE):
        if not 1 <= canvas <= MAX_SIDE:
            raise PuzzleError(f"arc: canvas must be 1..{MAX_SIDE}, got {canvas}")
        self.canvas = canvas

    @property
    def options(self) -> dict:
        return {"canvas": self.canvas}

    def __repr__(self) -> str:
        return f"ArcFamily(canvas={self.canvas})"

    def seq_len(self, shape=None) -> int:
        return self.canvas * self.canvas

    def encode(self, grid: np.ndarray, offset: tuple[int, int] = (0, 0)) -> np.ndarray:
        """Place the grid at `offset` in the canvas, colours +2, with the official EOS strips."""
        g = self._checked(grid)
        h, w = g.shape
        r0, c0 = offset
        if r0 < 0 or c0 < 0 or r0 + h > self.canvas or c0 + w > self.canvas:
            raise PuzzleError(f"arc: a {h}x{w} grid at offset {offset} does not fit the "
                              f"{self.canvas}x{self.canvas} canvas")
        out = np.zeros((self.canvas, self.canvas), dtype=np.uint8)
        out[r0:r0 + h, c0:c0 + w] = g + 2
        if r0 + h < self.canvas:
            out[r0 + h, c0:c0 + w] = EOS
        if c0 + w < self.canvas:
            out[r0:r0 + h, c0 + w] = EOS
        return out.ravel()

    def decode(self, tokens: np.ndarray, shape=None) -> np.ndarray:
        """The official crop: the largest top-left rectangle whose cells all hold colour tokens
        (ties: the fewest rows), minus 2. With `shape`, the top-left block of that shape instead,
        non-colour tokens read as 0."""
        t = np.asarray(tokens).reshape(-1).astype(np.int64)
        if t.size != self.canvas * self.canvas:
            raise PuzzleError(f"arc: expected {self.canvas * self.canvas} tokens, got {t.size}")
        canvas = t.reshape(self.canvas, self.canvas)
        is_colour = (canvas >= 2) & (canvas <= 11)
        if shape is not None:
            h, w = shape
            block = canvas[:h, :w]
            return np.where(is_colour[:h, :w], block - 2, 0)
        # Width of the colour run that starts each row, then the narrowest run over rows 0..r.
        run = np.where(is_colour.all(axis=1), self.canvas, np.argmin(is_colour, axis=1))
        width = np.minimum.accumulate(run)
        area = width * np.arange(1, self.canvas + 1)
        rows = int(np.argmax(area)) + 1 if area.max() > 0 else 0
        cols = int(width[rows - 1]) if rows else 0
        return canvas[:rows, :cols] - 2

    def locate(self, tokens: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
        """Undo a translation: (grid, offset) of a canvas whose grid may sit anywhere (train-split
        rows are translated). The offset is the first row and column holding a colour token; the grid
        is then read with the crop rule, so locate(encode(g, offset)) == (g, offset)."""
        t = np.asarray(tokens).reshape(-1).astype(np.int64)
        if t.size != self.canvas * self.canvas:
            raise PuzzleError(f"arc: expected {self.canvas * self.canvas} tokens, got {t.size}")
        canvas = t.reshape(self.canvas, self.canvas)
        colour = (canvas >= 2) & (canvas <= 11)
        if not colour.any():
            return np.zeros((0, 0), np.int64), (0, 0)
        r0, c0 = int(np.argmax(colour.any(axis=1))), int(np.argmax(colour.any(axis=0)))
        shifted = np.zeros_like(canvas)
        shifted[:self.canvas - r0, :self.canvas - c0] = canvas[r0:, c0:]
        return self.decode(shifted), (r0, c0)

    def parse(self, text: str, source: str = "<string>") -> np.ndarray:
        """A grid as JSON (`[[0,1],[2,3]]`) or as lines of digits (`01\\n23`)."""
        text = str(text).strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except (json.JSONDecodeError, RecursionError) as exc:
                raise PuzzleError(f"{source}: not valid JSON ({exc})") from None
            return grid_from_json(value, source).astype(np.int64)
        rows = [line.replace(" ", "") for line in text.splitlines() if line.strip()]
        for r, row in enumerate(rows):
            for c, ch in enumerate(row):
                if ch not in "0123456789":
                    raise PuzzleError(f"{source}: {cell_name(r, c)}: {ch!r} is not a colour digit 0-9")
        return grid_from_json([[int(ch) for ch in row] for row in rows], source).astype(np.int64)

    def format(self, grid: np.ndarray) -> str:
        g = self._checked(grid)
        return "\n".join("".join(str(v) for v in row) for row in g) + "\n"

    def validate(self, grid: np.ndarray) -> list[Problem]:
        try:
            g = as_int_grid(grid, "arc")
        except PuzzleError as exc:
            return [Problem(str(exc))]
        h, w = g.shape
        if not (1 <= h <= MAX_SIDE and 1 <= w <= MAX_SIDE):
            return [Problem(f"grid is {h}x{w}; ARC grids are 1x1 to {MAX_SIDE}x{MAX_SIDE}")]
        return [Problem(f"{cell_name(r, c)}: colour {g[r, c]} is not 0-9", ((int(r), int(c)),))
                for r, c in zip(*np.nonzero((g < 0) | (g > 9)))]

    def validate_task(self, task: ArcTask) -> list[Problem]:
        """Problems of every grid in a task, each message naming the pair."""
        problems = []
        for part, pairs in (("train", task.train), ("test", task.test)):
            for i, p in enumerate(pairs):
                for kind, g in (("input", p.input), ("output", p.output)):
                    if g is None:
                        if part == "train":
                            problems.append(Problem(f"{part} pair {i + 1}: no output"))
                        continue
                    problems += [Problem(f"{part} pair {i + 1} {kind}: {q.message}", q.cells)
                                 for q in self.validate(g)]
        if not task.train:
            problems.append(Problem("the task has no demonstration pairs"))
        if not task.test:
            problems.append(Problem("the task has no test pairs"))
        return problems

    def solve(self, grid: np.ndarray) -> SolveResult:
        raise PuzzleError("arc: there is no classical ARC solver; a task's known test outputs are "
                          "in its JSON")

    def check_solution(self, puzzle: np.ndarray, answer: np.ndarray) -> list[Problem]:
        """ARC answers are exact: the answer must equal the expected grid (given as `puzzle`)."""
        want, got = self._checked(puzzle), self._checked(answer)
        if want.shape != got.shape:
            return [Problem(f"answer is {got.shape[0]}x{got.shape[1]}, expected "
                            f"{want.shape[0]}x{want.shape[1]}")]
        wrong = [(int(r), int(c)) for r, c in zip(*np.nonzero(want != got))]
        return [Problem(f"{len(wrong)} cell(s) differ", tuple(wrong))] if wrong else []

    def _checked(self, grid) -> np.ndarray:
        problems = self.validate(grid)
        if problems:
            raise PuzzleError(f"arc: {problems[0].message}")
        return as_int_grid(grid, "arc")
