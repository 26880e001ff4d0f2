"""`trm puzzle check|solve`: validate or solve one puzzle given as a file or as the text itself.

    trm puzzle check 8..........36......7..9.2...5...7....... --family sudoku
    trm puzzle solve maze.txt --family maze --json
    trm puzzle check task.json --family arc

`check` exits 0 for a valid puzzle and 1 when it lists problems; unreadable input is an error (exit 2).
"""

from __future__ import annotations

from ..errors import PuzzleError
from . import FAMILY_NAMES, ArcTask, Problem, get_family
from .files import text_or_file


def register(sub, bench_sub) -> None:
    parser = sub.add_parser("puzzle", help="check or solve a single puzzle",
                            description="Validate or solve one puzzle (a file, or the puzzle text itself).")
    actions = parser.add_subparsers(dest="puzzle_command", metavar="ACTION", parser_class=type(parser))
    actions.required = True
    for name, handler, text in (("check", _check, "validate a puzzle and count its solutions"),
                                ("solve", _solve, "print the solution and the number of solutions")):
        p = actions.add_parser(name, help=text, description=text)
        p.add_argument("puzzle", metavar="FILE_OR_STRING",
                       help="a puzzle file, or the puzzle itself (81-char Sudoku string, maze text, ARC task JSON)")
        p.add_argument("--family", required=True, choices=FAMILY_NAMES, help="the puzzle family")
        p.add_argument("--box", type=int, default=None, help="Sudoku box size: 3 (9x9, default) or 2 (4x4)")
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p.set_defaults(func=handler)


def _family(args):
    if args.family == "sudoku":
        return get_family("sudoku", box=args.box or _guess_box(args.puzzle))
    return get_family(args.family)


def _guess_box(value: str) -> int:
    """4x4 when the text has 16 cells, else 9x9 (so `--box` is rarely needed)."""
    text, _ = text_or_file(value)
    cells = sum(1 for ch in text if ch.isalnum() or ch == ".")
    return 2 if cells == 16 else 3


def _load(args):
    text, source = text_or_file(args.puzzle)
    family = _family(args)
    if args.family == "arc" and text.lstrip().startswith("{"):
        name = source.rsplit("/", 1)[-1].removesuffix(".json") if source != "<argument>" else "task"
        return family, ArcTask.loads(text, name=name, source=source), source
    return family, family.parse(text, source=source) if args.family != "maze" else \
        family.parse(text, source=source, strict=False), source


def _check(args) -> int:
    from ..cli import print_json

    family, puzzle, source = _load(args)
    report = {"family": family.name, "source": source}
    if isinstance(puzzle, ArcTask):
        problems = family.validate_task(puzzle)
        report |= {"task": puzzle.name, "demonstrations": len(puzzle.train), "tests": len(puzzle.test),
                   "test_outputs_known": sum(p.output is not None for p in puzzle.test)}
        summary = f"ARC task {puzzle.name}: {len(puzzle.train)} demonstration(s), {len(puzzle.test)} test(s)"
    else:
        problems = family.validate(puzzle)
        report["shape"] = list(puzzle.shape)
        summary = f"{family.name} {puzzle.shape[0]}x{puzzle.shape[1]}"
        if not problems and family.name != "arc":
            result = family.solve(puzzle)
            report |= {"solutions": result.count} | _details(family.name, result)
            if result.count == 0:
                problems = [Problem("no solution" if family.name == "sudoku" else "no path from S to G")]
            elif result.count > 1 and family.name == "sudoku":
                problems = [Problem("more than one solution")]
            summary += ": " + _describe(family.name, result)
    report["valid"] = not problems
    report["problems"] = [{"message": p.message, "cells": [list(c) for c in p.cells]} for p in problems]
    if args.json:
        print_json(report)
    else:
        print(f"{summary}: {'valid' if not problems else 'NOT valid'}")
        for p in problems:
            print(f"  - {p.message}")
    return 0 if not problems else 1


def _solve(args) -> int:
    from ..cli import print_json

    family, puzzle, source = _load(args)
    if isinstance(puzzle, ArcTask):
        raise PuzzleError(f"{source}: there is no classical ARC solver (the task's known test outputs "
                          "are in its JSON)")
    problems = family.validate(puzzle)
    if problems:
        raise PuzzleError(f"{source}: {problems[0].message}")
    result = family.solve(puzzle)
    report = {"family": family.name, "source": source, "solutions": result.count,
              "solution": None if result.solution is None else result.solution.tolist(),
              "text": None if result.solution is None else family.format(result.solution)}
    report |= _details(family.name, result)
    if args.json:
        print_json(report)
    else:
        if result.solution is not None:
            print(family.format(result.solution), end="")
        print(_describe(family.name, result))
    return 0 if result.count else 1


def _details(name: str, result) -> dict:
    if name == "sudoku":
        return {"rating": result.backtracks, "guesses": result.extra["guesses"],
                "rater": f"{result.extra['rater']} v{result.extra['rater_version']}"}
    return {"steps": result.extra.get("steps", -1)}


def _describe(name: str, result) -> str:
    many = "2 or more" if result.count > 1 else str(result.count)
    if name == "sudoku":
        return f"solutions: {many} (rating {result.backtracks}: dead ends of a full search)"
    if result.count == 0:
        return "no path from S to G"
    return f"shortest path: {result.extra['steps']} steps; shortest paths: {many}"
