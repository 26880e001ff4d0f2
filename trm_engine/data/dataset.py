"""The dataset file (`*.h5`): the official HRM/TRM arrays per split plus metadata, and the in-memory
`PuzzleDataset` that builders produce and the trainer, evaluator and GUI read. This module is the only
one that touches h5py for dataset files.

Layout (format "trm-lab-dataset", version 1):
    /                      attrs: format, format_version, family, family_options (JSON), vocab_size,
                           seq_len, num_puzzle_identifiers, augmentation (kind), metadata (JSON)
    /splits/<name>/inputs              (N, seq_len) uint8, contiguous (memory-mapped on open)
                  /labels              (N, seq_len) uint8, 0 = ignored
                  /puzzle_identifiers  (P,)  int32
                  /puzzle_indices      (P+1,) int32  example offsets of each puzzle (CSR)
                  /group_indices       (G+1,) int32  puzzle offsets of each group (CSR)
                  /ratings             (P,)  int32   optional (Sudoku rating, maze path length)
                  /shapes              (N, 4) uint8  optional: input h, w, label h, w
    /tasks                 ARC: task names, index = task index
    /aug_specs             ARC: (tasks, K+1, 11) uint8, [dihedral, colour map], row 0 = identity
    /aug_counts            ARC: (tasks,) int32, distinct augmentations found per task (<= K)
    /identifiers           optional id -> name list (imported official folders)

Augmentation kinds: "sudoku" (random shuffles), "dihedral" (mazes), "arc" (stored specs; puzzle id
1 + task * (K+1) + k), "none" (already augmented on disk, e.g. an imported official folder).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from ..errors import DataError, TrmError
from ..puzzles.files import atomic_output
from .dataset_checks import check_dataset, check_split
from .dataset_probe import mark_good, probe

FORMAT = "trm-lab-dataset"
FORMAT_VERSION = 1
AUGMENTATION_KINDS = ("sudoku", "dihedral", "arc", "none")
_SPLIT_ARRAYS = ("inputs", "labels", "puzzle_identifiers", "puzzle_indices", "group_indices")
_OPTIONAL_ARRAYS = ("ratings", "shapes")


@dataclass
class Split:
    """One split in the official three-level layout: groups of puzzles of examples."""

    inputs: np.ndarray  # (N, seq_len) uint8
    labels: np.ndarray  # (N, seq_len) uint8, 0 = PAD/ignored
    puzzle_identifiers: np.ndarray  # (P,) int32
    puzzle_indices: np.ndarray  # (P+1,) example offsets
    group_indices: np.ndarray  # (G+1,) puzzle offsets
    ratings: np.ndarray | None = None  # (P,) per puzzle, where the family has one
    shapes: np.ndarray | None = None  # (N, 4): input h, w, label h, w (maze and ARC)

    @property
    def num_examples(self) -> int:
        return int(self.inputs.shape[0])

    @property
    def num_puzzles(self) -> int:
        return int(self.puzzle_identifiers.shape[0])

    @property
    def num_groups(self) -> int:
        return int(self.group_indices.shape[0]) - 1

    @property
    def mean_puzzle_examples(self) -> float:
        return self.num_examples / max(self.num_puzzles, 1)

    def puzzle_of_example(self) -> np.ndarray:
        """(N,) index of the puzzle each example belongs to."""
        return np.repeat(np.arange(self.num_puzzles), np.diff(self.puzzle_indices))

    def group_of_puzzle(self) -> np.ndarray:
        """(P,) index of the group each puzzle belongs to."""
        return np.repeat(np.arange(self.num_groups), np.diff(self.group_indices))

    def check(self, name: str, seq_len: int, vocab_size: int, where: str) -> None:
        """DataError unless the arrays are consistent (shapes, CSR offsets, token range)."""
        check_split(self, name, seq_len, vocab_size, where)


@dataclass
class PuzzleDataset:
    """A dataset in memory (arrays may be read-only memory maps of the file)."""

    family: str
    family_options: dict
    vocab_size: int
    seq_len: int
    num_puzzle_identifiers: int
    split_data: dict[str, Split]
    augmentation: str = "none"
    metadata: dict = field(default_factory=dict)
    tasks: list[str] | None = None  # ARC task names
    aug_specs: np.ndarray | None = None  # ARC (tasks, K+1, 11)
    aug_counts: np.ndarray | None = None  # ARC (tasks,)
    identifiers: list[str] | None = None
    path: Path | None = None

    @property
    def splits(self) -> tuple[str, ...]:
        return tuple(self.split_data)

    def split(self, name: str) -> Split:
        if name not in self.split_data:
            raise DataError(f"{self.path or 'dataset'}: no split '{name}' (has {', '.join(self.splits)})")
        return self.split_data[name]

    __getitem__ = split

    @property
    def num_augmentations(self) -> int:
        """K, the number of stored ARC augmentations per task (0 for other kinds)."""
        return 0 if self.aug_specs is None else int(self.aug_specs.shape[1]) - 1

    def get_family(self):
        from ..puzzles import get_family

        return get_family(self.family, **self.family_options)

    def identifier_name(self, pid: int) -> str:
        """Human-readable name of puzzle identifier `pid` (official naming for ARC augmentations)."""
        if pid == 0:
            return "<blank>"
        if self.identifiers is not None and pid < len(self.identifiers):
            return self.identifiers[pid]
        if self.tasks is not None and self.aug_specs is not None:
            from ..puzzles.arc import ArcAugment

            task, k = divmod(pid - 1, self.num_augmentations + 1)
            return ArcAugment.from_array(self.aug_specs[task, k]).name(self.tasks[task])
        return str(pid)

    def validate(self) -> None:
        """DataError (or PuzzleError for its family) unless every part of the dataset is consistent."""
        if self.augmentation not in AUGMENTATION_KINDS:
            raise DataError(f"{self.path or 'dataset'}: unknown augmentation kind {self.augmentation!r}")
        check_dataset(self)

    def summary(self) -> dict:
        """Counts, layout, rating histograms and provenance (`trm data info`, the GUI's library)."""
        splits = {}
        for name, s in self.split_data.items():
            entry = {"examples": s.num_examples, "puzzles": s.num_puzzles, "groups": s.num_groups,
                     "mean_puzzle_examples": round(s.mean_puzzle_examples, 4)}
            if s.ratings is not None and s.num_puzzles:
                r = np.asarray(s.ratings)
                entry["ratings"] = {"min": int(r.min()), "max": int(r.max()),
                                    "mean": round(float(r.mean()), 3), "histogram": _histogram(r)}
            splits[name] = entry
        meta = self.metadata
        return {"path": str(self.path) if self.path else None,
                "size_bytes": self.path.stat().st_size if self.path and self.path.is_file() else None,
                "family": self.family, "family_options": self.family_options, "vocab_size": self.vocab_size,
                "seq_len": self.seq_len, "num_puzzle_identifiers": self.num_puzzle_identifiers,
                "augmentation": self.augmentation, "augmentations_per_task": self.num_augmentations,
                "tasks": len(self.tasks or []), "splits": splits, "source": meta.get("source"),
                "seed": meta.get("seed"), "metadata": meta}

    # -- files -----------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the dataset atomically (temporary file in the same directory, then rename)."""
        self.validate()
        path = Path(path)
        with atomic_output(path, DataError) as tmp:
            with h5py.File(tmp, "w") as f:
                f.attrs.update({
                    "format": FORMAT, "format_version": FORMAT_VERSION, "family": self.family,
                    "family_options": json.dumps(self.family_options), "vocab_size": self.vocab_size,
                    "seq_len": self.seq_len, "num_puzzle_identifiers": self.num_puzzle_identifiers,
                    "augmentation": self.augmentation,
                    "metadata": json.dumps(self.metadata, sort_keys=True, default=_json_default),
                })
                for name, split in self.split_data.items():
                    g = f.create_group(f"splits/{name}")
                    g.create_dataset("inputs", data=np.ascontiguousarray(split.inputs, dtype=np.uint8))
                    g.create_dataset("labels", data=np.ascontiguousarray(split.labels, dtype=np.uint8))
                    for key in ("puzzle_identifiers", "puzzle_indices", "group_indices", "ratings"):
                        value = getattr(split, key)
                        if value is not None:
                            g.create_dataset(key, data=np.asarray(value, dtype=np.int32))
                    if split.shapes is not None:
                        g.create_dataset("shapes", data=np.asarray(split.shapes, dtype=np.uint8))
                strings = h5py.string_dtype()
                if self.tasks is not None:
                    f.create_dataset("tasks", data=np.array(self.tasks, dtype=object), dtype=strings)
                if self.aug_specs is not None:
                    f.create_dataset("aug_specs", data=np.asarray(self.aug_specs, dtype=np.uint8))
                    f.create_dataset("aug_counts", data=np.asarray(self.aug_counts, dtype=np.int32))
                if self.identifiers is not None:
                    f.create_dataset("identifiers", data=np.array(self.identifiers, dtype=object),
                                     dtype=strings, compression="gzip")
        mark_good(path)
        self.path = path
        return path

    @classmethod
    def open(cls, path: str | Path) -> PuzzleDataset:
        """Open a dataset file. inputs/labels are read-only memory maps, so opening is fast whatever
        the size; everything else is read into memory. DataError names the file on any problem."""
        path = Path(path)
        if not path.is_file():
            raise DataError(f"{path}: no such dataset file")
        try:
            probe(path, _read)  # a damaged HDF5 heap can hang or exhaust h5py: first read it in a bounded child
            with h5py.File(path, "r") as f:
                ds = _read(f, path)
            ds.validate()
        except TrmError:
            raise
        except (OSError, RuntimeError, KeyError, ValueError, TypeError, AttributeError, IndexError,
                OverflowError, MemoryError, RecursionError) as exc:  # what h5py and numpy raise on a damaged file
            raise DataError(f"{path}: not a readable TRM Lab dataset (truncated or foreign file?): "
                            f"{type(exc).__name__}: {str(exc)[:200]}") from None
        return ds


def _read(f, path: Path) -> PuzzleDataset:
    """Every attribute is checked for kind and size before it is read, every array for kind, rank and
    declared size against the bytes the file really stores, so a damaged header can neither make h5py
    allocate gigabytes nor loop over a huge attribute."""
    if _attr(f, "format", str, path, missing="") != FORMAT:
        raise DataError(f"{path}: not a TRM Lab dataset (HDF5 without the '{FORMAT}' format attribute)")
    version = _attr(f, "format_version", int, path)
    if version != FORMAT_VERSION:
        raise DataError(f"{path}: dataset format version {version}; this TRM Lab reads {FORMAT_VERSION}")
    size = os.path.getsize(path)
    splits = {}
    for name, g in _group(f, "splits", path).items():
        if not isinstance(g, h5py.Group):
            raise DataError(f"{path}: splits/{name} is not a group")
        arrays = {key: _array(_member(g, key, path), path, size, _RANKS[key]) for key in _SPLIT_ARRAYS}
        arrays.update({key: _array(_member(g, key, path), path, size, _RANKS[key])
                       for key in _OPTIONAL_ARRAYS if key in g})
        splits[name] = Split(**arrays)

    def strings(key):
        if key not in f:
            return None
        values = _array(_member(f, key, path), path, size, 1, strings=True)
        return [s.decode("utf-8", "replace") if isinstance(s, bytes) else str(s) for s in values]

    def optional(key):
        return _array(_member(f, key, path), path, size, _RANKS[key]) if key in f else None

    return PuzzleDataset(
        family=_attr(f, "family", str, path), family_options=_attr(f, "family_options", dict, path),
        vocab_size=_attr(f, "vocab_size", int, path), seq_len=_attr(f, "seq_len", int, path),
        num_puzzle_identifiers=_attr(f, "num_puzzle_identifiers", int, path), split_data=splits,
        augmentation=_attr(f, "augmentation", str, path), metadata=_attr(f, "metadata", dict, path),
        tasks=strings("tasks"), identifiers=strings("identifiers"),
        aug_specs=optional("aug_specs"), aug_counts=optional("aug_counts"), path=path)


_MISSING = object()
MAX_ATTR_BYTES = 1 << 20  # metadata and options are a few KB


def _attr(f, name: str, kind: type, path: Path, missing=_MISSING):
    """A scalar root attribute of `kind` (str, int, or dict = a JSON object in a string), checked before
    it is read: a damaged dataspace can declare billions of elements, which h5py would read one by one."""
    if name not in f.attrs:
        if missing is not _MISSING:
            return missing
        raise DataError(f"{path}: attribute '{name}' is missing")
    aid = f.attrs.get_id(name)
    if aid.shape != () or aid.get_storage_size() > MAX_ATTR_BYTES:
        raise DataError(f"{path}: attribute '{name}' must be one value, not shape {aid.shape}")
    numeric = aid.dtype.kind in "iu"
    if (kind is int) != numeric or (kind is not int and h5py.check_string_dtype(aid.dtype) is None):
        raise DataError(f"{path}: attribute '{name}' has the wrong type ({aid.dtype})")
    value = f.attrs[name]
    if kind is int:
        return int(value)
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    if len(text) > MAX_ATTR_BYTES:
        raise DataError(f"{path}: attribute '{name}' is {len(text)} characters long")
    if kind is str:
        return text
    try:
        obj = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise DataError(f"{path}: attribute '{name}' is not valid JSON") from None
    if not isinstance(obj, dict):
        raise DataError(f"{path}: attribute '{name}' must be a JSON object, got {type(obj).__name__}")
    return obj


def _group(f, key: str, path: Path):
    if key not in f or not isinstance(f[key], h5py.Group):
        raise DataError(f"{path}: '{key}' is missing or not a group")
    return f[key]


def _member(g, key: str, path: Path):
    if key not in g:
        raise DataError(f"{path}: {g.name.rstrip('/')}/{key} is missing")
    obj = g[key]
    if not isinstance(obj, h5py.Dataset):
        raise DataError(f"{path}: {obj.name} is not an array")
    return obj


MAX_EXPANSION = 1100  # deflate never packs more than ~1032 bytes into one


_RANKS = {"inputs": 2, "labels": 2, "shapes": 2, "puzzle_identifiers": 1, "puzzle_indices": 1, "group_indices": 1,
          "ratings": 1, "aug_specs": 3, "aug_counts": 1}


def _array(dset, path: Path, file_size: int, ndim: int, strings: bool = False) -> np.ndarray:
    """Memory-map large contiguous uncompressed arrays; read the rest. The declared size must fit the
    bytes the file stores (for compressed data: at most deflate's best ratio) before anything is read."""
    where = f"{path}: {dset.name}"
    if dset.ndim != ndim:
        raise DataError(f"{where} must be {ndim}-dimensional, got shape {dset.shape}")
    if strings:
        if h5py.check_string_dtype(dset.dtype) is None:
            raise DataError(f"{where} must be a list of strings")
    elif dset.dtype.kind not in "iu":
        raise DataError(f"{where} must hold integers, not {dset.dtype}")
    dcpl = dset.id.get_create_plist()
    if dset.is_virtual or dcpl.get_external_count():
        raise DataError(f"{where} refers to other files; a dataset file must hold its own data")
    count = int(np.prod(dset.shape, dtype=np.float64))
    nbytes = count * (16 if strings else dset.dtype.itemsize)
    offset = dset.id.get_offset()
    stored = dset.id.get_storage_size()
    if dset.chunks is None and offset is not None:
        if offset + (0 if strings else nbytes) > file_size:
            raise DataError(f"{path}: truncated ({dset.name} needs bytes up to {offset + nbytes}, "
                            f"the file has {file_size})")
    elif nbytes > MAX_EXPANSION * stored + (64 << 10):
        raise DataError(f"{where} declares shape {dset.shape} ({nbytes:,} bytes) but the file stores "
                        f"{stored:,} bytes of it")
    if not strings and offset is not None and dset.chunks is None and nbytes >= (1 << 20):
        return np.memmap(path, dtype=dset.dtype, mode="r", offset=offset, shape=dset.shape)
    return dset[()]


def _histogram(values: np.ndarray) -> list[list[int]]:
    """[lo, hi, count] bins: powers of two for skewed ratings from 0, else up to ten even bins."""
    lo, hi = int(values.min()), int(values.max())
    if lo == 0 and hi > 16:
        edges = [e for e in (0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024) if e <= hi] + [hi + 1]
    else:
        edges = sorted(set(np.linspace(lo, hi + 1, min(10, hi - lo + 1) + 1).astype(int).tolist()))
    counts, _ = np.histogram(values, bins=edges)
    return [[int(a), int(b) - 1, int(c)] for a, b, c in zip(edges[:-1], edges[1:], counts)]


def _json_default(obj):
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
