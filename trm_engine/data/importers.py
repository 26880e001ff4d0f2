"""Importers of the formats the TRM/HRM community already has: the official dataset folders written by
`build_*_dataset.py`, and the model-hub CSVs of Sudoku-Extreme and Maze-Hard
(`source,question,answer,rating`). ARC task files, folders and Kaggle pairs are in arc_sources.py.

Every importer checks everything before anything is written and raises DataError naming the file, the
row and the problem: malformed rows, wrong lengths, unknown characters, answers that do not solve the
question, Sudoku without a unique solution.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import tokenize
from pathlib import Path

import numpy as np

from ..errors import DataError, PuzzleError
from ..puzzles import get_family
from ..puzzles.base import read_text
from ..puzzles.generate import Progress
from .build import provenance, single_example_split
from .dataset import PuzzleDataset, Split

_FIELDS = ("inputs", "labels", "puzzle_identifiers", "puzzle_indices", "group_indices")
_KNOWN_LAYOUTS = {(11, 81): ("sudoku", {"box": 3}), (6, 16): ("sudoku", {"box": 2}),
                  (6, 900): ("maze", {"canvas": 30}), (12, 900): ("arc", {"canvas": 30})}


# -- official folders ----------------------------------------------------------------------------
def import_trm_folder(src: str | Path, family: str | None = None) -> PuzzleDataset:
    """An official HRM/TRM dataset folder (`<split>/dataset.json`, `<split>/<set>__*.npy`,
    `identifiers.json`). Augmented copies on disk stay as they are (augmentation kind "none")."""
    src = Path(src)
    split_dirs = sorted(p for p in src.iterdir() if (p / "dataset.json").is_file()) if src.is_dir() else []
    if not split_dirs:
        raise DataError(f"{src}: not an official dataset folder (no <split>/dataset.json)")
    metas, splits = {}, {}
    for d in split_dirs:
        meta = _official_meta(d / "dataset.json")
        metas[d.name] = meta
        splits[d.name] = _read_official_split(d, meta)
    first = next(iter(metas.values()))
    vocab, seq_len = int(first["vocab_size"]), int(first["seq_len"])
    for name, meta in metas.items():
        if (int(meta["vocab_size"]), int(meta["seq_len"])) != (vocab, seq_len):
            raise DataError(f"{src / name / 'dataset.json'}: vocab/seq_len differ from the other splits")
    num_ids = max(int(m["num_puzzle_identifiers"]) for m in metas.values())
    if family is None:
        if (vocab, seq_len) not in _KNOWN_LAYOUTS:
            raise DataError(f"{src}: vocab {vocab} / seq_len {seq_len} is not a known family layout; "
                            "give the family")
        family, options = _KNOWN_LAYOUTS[(vocab, seq_len)]
    else:
        options = {"canvas": int(round(seq_len ** 0.5))} if family in ("maze", "arc") else {}
        if family == "sudoku":
            options = {"box": int(round(seq_len ** 0.25))}
    fam = get_family(family, **options)
    if (fam.vocab_size, fam.seq_len()) != (vocab, seq_len):
        raise DataError(f"{src}: vocab {vocab} / seq_len {seq_len} do not match the {family} family")
    identifiers = None
    if (src / "identifiers.json").is_file():
        identifiers = _json_file(src / "identifiers.json")
        if not isinstance(identifiers, list) or not all(isinstance(s, str) for s in identifiers):
            raise DataError(f"{src / 'identifiers.json'}: expected a list of names")
    single = all(s.num_puzzles == s.num_groups for s in splits.values())
    kind = "none"
    if family == "sudoku" and single:
        kind = "sudoku"
    elif family == "maze" and single:
        kind, splits = "dihedral", {k: _with_maze_shapes(v, fam.canvas) for k, v in splits.items()}
    meta = provenance(f"trm-folder:{src}", None, official_metadata=metas)
    ds = PuzzleDataset(family, options, vocab, seq_len, num_ids, splits, augmentation=kind, metadata=meta,
                       identifiers=identifiers)
    ds.validate()
    return ds


def _official_meta(path: Path) -> dict:
    """dataset.json of an official split: the counts as integers in range, the set names plain names."""
    meta = _json_file(path)
    if not isinstance(meta, dict):
        raise DataError(f"{path}: expected a JSON object, got {type(meta).__name__}")
    for key, hi in (("vocab_size", 256), ("seq_len", 1 << 16), ("num_puzzle_identifiers", 1 << 24)):
        value = meta.get(key)
        if key not in meta:
            raise DataError(f"{path}: missing field '{key}'")
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= hi:
            raise DataError(f"{path}: field '{key}' is {repr(value)[:40]}; expected an integer in [1, {hi}]")
    sets = meta.get("sets")
    if "sets" not in meta:
        raise DataError(f"{path}: missing field 'sets'")
    if not isinstance(sets, list) or not sets or not all(isinstance(x, str) and re.fullmatch(r"[\w.-]+", x)
                                                         and x not in (".", "..") for x in sets):
        raise DataError(f"{path}: field 'sets' must be a list of set names, got {repr(sets)[:60]}")
    return meta


def _read_official_split(d: Path, meta: dict) -> Split:
    parts = []
    for set_name in meta["sets"]:
        arrays = {}
        for field in _FIELDS:
            path = d / f"{set_name}__{field}.npy"
            try:
                a = np.load(path, mmap_mode="r", allow_pickle=False)
            except (OSError, ValueError, EOFError, SyntaxError, TypeError, OverflowError, MemoryError,
                    tokenize.TokenError) as exc:  # what numpy's header parser raises on a broken header
                raise DataError(f"{path}: cannot read ({type(exc).__name__}: {str(exc)[:120]})") from None
            if not isinstance(a, np.ndarray) or a.dtype.kind not in "iu" or a.ndim != (2 if field in
                                                                                         ("inputs", "labels") else 1):
                raise DataError(f"{path}: expected {'a 2-D' if field in ('inputs', 'labels') else 'a 1-D'} "
                                f"integer array, got {getattr(a, 'dtype', '?')} {getattr(a, 'shape', '')}")
            if a.size and (int(a.min()) < 0 or int(a.max()) > np.iinfo(np.int32).max):
                raise DataError(f"{path}: values must be in [0, 2^31)")
            arrays[field] = a
        for field in ("inputs", "labels"):
            a = arrays[field]
            if a.shape[1] != meta["seq_len"] or (a.size and int(a.max()) >= meta["vocab_size"]):
                raise DataError(f"{d / f'{set_name}__{field}.npy'}: expected (examples, {meta['seq_len']}) "
                                f"tokens below {meta['vocab_size']}, got {a.shape}")
        parts.append(arrays)
    if len(parts) == 1:
        a = parts[0]
        return Split(np.asarray(a["inputs"], np.uint8), np.asarray(a["labels"], np.uint8),
                     *(np.asarray(a[k], np.int32) for k in _FIELDS[2:]))
    # Several sets: concatenate, shifting the CSR offsets.
    ex = pz = 0
    out = {k: [] for k in _FIELDS}
    for a in parts:
        out["inputs"].append(np.asarray(a["inputs"], np.uint8))
        out["labels"].append(np.asarray(a["labels"], np.uint8))
        out["puzzle_identifiers"].append(np.asarray(a["puzzle_identifiers"], np.int32))
        out["puzzle_indices"].append(np.asarray(a["puzzle_indices"][:-1], np.int64) + ex)
        out["group_indices"].append(np.asarray(a["group_indices"][:-1], np.int64) + pz)
        ex += len(a["inputs"])
        pz += len(a["puzzle_identifiers"])
    out["puzzle_indices"].append(np.array([ex]))
    out["group_indices"].append(np.array([pz]))
    return Split(*(np.concatenate(out[k]).astype(np.uint8 if k in ("inputs", "labels") else np.int32)
                   for k in _FIELDS))


def _with_maze_shapes(split: Split, canvas: int) -> Split:
    """Maze shapes from the tokens: the top-left block of non-PAD cells."""
    shapes = np.zeros((split.num_examples, 4), np.uint8)
    for i, (x, y) in enumerate(zip(split.inputs, split.labels)):
        for col, row in ((0, x), (2, y)):
            grid = np.asarray(row).reshape(canvas, canvas) != 0
            shapes[i, col] = grid.any(axis=1).sum()
            shapes[i, col + 1] = grid.any(axis=0).sum()
    split.shapes = shapes
    return split


# -- model-hub CSVs ------------------------------------------------------------------------------
def read_hub_csv(path: Path) -> list[tuple[int, str, str, str, int]]:
    """Rows (line number, source, question, answer, rating) of a `source,question,answer,rating` CSV."""
    try:
        text = read_text(path, limit=4 << 30)
    except PuzzleError as exc:
        raise DataError(str(exc)) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise DataError(f"{path}: line 1: not CSV ({exc})") from None
    if header is None:
        raise DataError(f"{path}: empty file")
    names = [h.strip().lower() for h in header]
    cols = {"source": 0, "question": 1, "answer": 2, "rating": 3}
    if "question" in names and "answer" in names:
        cols = {k: names.index(k) for k in cols if k in names}
    else:
        raise DataError(f"{path}: line 1: expected the header source,question,answer,rating; got {header[:4]}")
    rows = []
    try:
        for fields in reader:
            line = reader.line_num
            if not fields:
                continue
            if len(fields) != len(header):
                raise DataError(f"{path}: line {line}: {len(fields)} fields, the header has {len(header)}")
            rating = fields[cols["rating"]].strip() if "rating" in cols else "0"
            try:
                value = float(rating or 0)
                if not math.isfinite(value) or value != int(value) or abs(value) >= 2 ** 31:
                    raise ValueError
            except ValueError:  # NaN, inf, 1e400, fractions and numbers beyond int32 alike
                raise DataError(f"{path}: line {line}: rating {rating!r} is not an integer "
                                f"in the int32 range") from None
            source = fields[cols["source"]] if "source" in cols else ""
            rows.append((line, source, fields[cols["question"]], fields[cols["answer"]], int(value)))
    except csv.Error as exc:
        raise DataError(f"{path}: line {reader.line_num}: malformed CSV ({exc})") from None
    if not rows:
        raise DataError(f"{path}: no puzzles")
    return rows


def _select(rows, limit: int, subsample: int, seed: int):
    if subsample and subsample < len(rows):  # the official 1k subset, but seeded
        keep = np.sort(np.random.default_rng(seed).choice(len(rows), subsample, replace=False))
        rows = [rows[i] for i in keep]
    return rows[:limit] if limit else rows


def _csv_files(src: Path, split: str | None) -> dict[str, Path]:
    if src.is_dir():
        files = {p.stem: p for p in sorted(src.glob("*.csv")) if p.stem in ("train", "test")}
        if not files:
            raise DataError(f"{src}: no train.csv or test.csv")
        return files
    if not src.is_file():
        raise DataError(f"{src}: no such file")
    return {split or (src.stem if src.stem in ("train", "test") else "train"): src}


def import_sudoku_csv(src: str | Path, split: str | None = None, limit: int = 0, subsample: int = 0,
                      seed: int = 0, min_rating: int | None = None, check_unique: bool = True,
                      progress: Progress | None = None) -> PuzzleDataset:
    """Sudoku-Extreme CSVs: a train.csv/test.csv folder or one file (its split from the name or `split`).
    `subsample` draws that many rows (seeded), `limit` keeps the first rows, `min_rating` filters."""
    family = get_family("sudoku")
    splits = {}
    for name, path in _csv_files(Path(src), split).items():
        rows = read_hub_csv(path)
        if min_rating is not None:
            rows = [r for r in rows if r[4] >= min_rating]
        rows = _select(rows, limit if name == "train" else 0, subsample if name == "train" else 0, seed)
        if not rows:
            raise DataError(f"{path}: no puzzles left after filtering")
        q = _chars_to_grid(path, rows, 2, "123456789", ".0", 81, "question")
        a = _chars_to_grid(path, rows, 3, "123456789", "", 81, "answer")
        _check_sudoku_rows(path, rows, q.reshape(-1, 9, 9), a.reshape(-1, 9, 9), check_unique, progress)
        splits[name] = single_example_split(q + 1, a + 1, np.array([r[4] for r in rows]))
    meta = provenance(f"sudoku-csv:{src}", seed, subsample=subsample, limit=limit, min_rating=min_rating,
                      ratings="the CSV's rating column (tdoku backtracks for Sudoku-Extreme)")
    return PuzzleDataset("sudoku", family.options, family.vocab_size, family.seq_len(), 1, splits,
                         augmentation="sudoku", metadata=meta)


def _chars_to_grid(path, rows, col, digits, blanks, length, what) -> np.ndarray:
    """Strings -> (rows, length) int array; blanks -> 0, digits[i] -> i+1. DataError names the row."""
    lookup = np.full(256, -1, np.int64)
    for ch in blanks:
        lookup[ord(ch)] = 0
    for i, ch in enumerate(digits):
        lookup[ord(ch)] = i + 1
    for line, *fields in rows:
        s = fields[col - 1]
        if len(s) != length:
            raise DataError(f"{path}: line {line}: {what} has {len(s)} characters, expected {length}")
    joined = "".join(r[col] for r in rows)
    codes = np.frombuffer(joined.encode("utf-32-le"), np.uint32)
    values = np.where(codes < 256, lookup[np.minimum(codes, 255)], -1).reshape(len(rows), length)
    bad = np.argwhere(values < 0)
    if len(bad):
        r, c = bad[0]
        raise DataError(f"{path}: line {rows[r][0]}: {what} character {c + 1} is {rows[r][col][c]!r}; "
                        f"allowed: {digits + blanks!r}")
    return values


def _check_sudoku_rows(path, rows, q, a, check_unique, progress) -> None:
    n = len(rows)
    target = np.arange(1, 10)
    boxes = a.reshape(n, 3, 3, 3, 3).transpose(0, 1, 3, 2, 4).reshape(n, 9, 9)
    solved = np.ones(n, bool)
    for units in (a, a.transpose(0, 2, 1), boxes):
        solved &= (np.sort(units, axis=2) == target).all(axis=(1, 2))
    if not solved.all():
        raise DataError(f"{path}: line {rows[int(np.argmin(solved))][0]}: the answer is not a solved Sudoku")
    clash = ((q != 0) & (q != a)).any(axis=(1, 2))
    if clash.any():
        i = int(np.argmax(clash))
        r, c = np.argwhere((q[i] != 0) & (q[i] != a[i]))[0]
        raise DataError(f"{path}: line {rows[i][0]}: the answer changes the given r{r + 1}c{c + 1}")
    if not check_unique:
        return
    from ..puzzles import sudoku_search as k

    flat = q.reshape(n, 81).astype(np.int8)
    counts, dead, guesses = (np.zeros(n, np.int64) for _ in range(3))
    sols = np.zeros((n, 81), np.int8)
    step = 20000
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        k.solve_many(flat[lo:hi], 3, 2, counts[lo:hi], dead[lo:hi], guesses[lo:hi], sols[lo:hi])
        if progress is not None:
            progress(min(n, lo + step), n)
    if (counts != 1).any():
        i = int(np.argmax(counts != 1))
        what = "no solution" if counts[i] == 0 else "more than one solution"
        raise DataError(f"{path}: line {rows[i][0]}: the question has {what}")


def import_maze_csv(src: str | Path, split: str | None = None, limit: int = 0, subsample: int = 0,
                    seed: int = 0, progress: Progress | None = None) -> PuzzleDataset:
    """Maze-Hard CSVs (`# SGo` strings of n*n characters, 900 for 30x30)."""
    splits, side = {}, None
    maze = get_family("maze")
    for name, path in _csv_files(Path(src), split).items():
        rows = _select(read_hub_csv(path), limit if name == "train" else 0,
                       subsample if name == "train" else 0, seed)
        length = len(rows[0][2])
        n = int(round(length ** 0.5))
        if n * n != length or not 2 <= n <= 30 or (side is not None and n != side):
            raise DataError(f"{path}: line {rows[0][0]}: a maze of {length} characters is not n x n "
                            "(n 2..30, the same for every split)")
        side = n
        q = _chars_to_grid(path, rows, 2, " SGo", "#", length, "question").reshape(-1, n, n)
        a = _chars_to_grid(path, rows, 3, " SGo", "#", length, "answer").reshape(-1, n, n)
        for i, (line, *_rest) in enumerate(rows):
            problems = maze.validate(q[i]) or maze.check_solution(q[i], a[i])
            if problems:
                raise DataError(f"{path}: line {line}: {problems[0].message}")
            if progress is not None and (i % 500 == 499 or i + 1 == len(rows)):
                progress(i + 1, len(rows))
        shapes = np.tile(np.array([n, n, n, n], np.uint8), (len(rows), 1))
        splits[name] = single_example_split(q.reshape(len(rows), -1) + 1, a.reshape(len(rows), -1) + 1,
                                            np.array([r[4] for r in rows]), shapes)
    family = get_family("maze", canvas=side)
    meta = provenance(f"maze-csv:{src}", seed, subsample=subsample, limit=limit)
    return PuzzleDataset("maze", family.options, family.vocab_size, family.seq_len(), 1, splits,
                         augmentation="dihedral", metadata=meta)


def _json_file(path: Path):
    try:
        return json.loads(read_text(path))
    except PuzzleError as exc:
        raise DataError(str(exc)) from None
    except (json.JSONDecodeError, RecursionError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from None
