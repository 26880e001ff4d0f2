"""The `trm` command. Each area of the engine contributes its subcommands through a `register(sub, bench)`
function in its own `commands.py`; this module only builds the parser and turns engine errors into one
line on stderr and exit code 2 (never a traceback)."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence

from .errors import TrmError

# Modules with a `register(subparsers, bench_subparsers)` function, in the order of `trm --help`.
COMMAND_MODULES = (
    "trm_engine.model.commands",
    "trm_engine.puzzles.commands",
    "trm_engine.data.commands",
    "trm_engine.train.commands",
    "trm_engine.eval.commands",
    "trm_engine.trace.commands",
    "trm_engine.experiments.commands",
    "trm_engine.gpu_check",
)


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line (its default already uses 2, but prints usage first)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def count(minimum: int = 1):
    """An argparse type for a count: an integer >= `minimum` (1 where zero means nothing, 0 where zero
    means "all" or "the default"); anything else is the one-line usage error."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {'positive' if minimum == 1 else f'>= {minimum}'}, "
                                             f"got {value}")
        return value

    parse.__name__ = "count"  # argparse names the type in its messages
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="trm",
        description="TRM Lab engine: puzzles, datasets, TRM/HRM models, training, evaluation, recursion "
                    "traces and the paper's experiments, from the command line.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    bench = sub.add_parser("bench", help="benchmarks: model, train, learn, data, gpu (figures as JSON)",
                           description="Benchmarks. Each prints its figures; --json prints one JSON object.")
    bench_sub = bench.add_subparsers(dest="bench_command", metavar="WHAT", parser_class=_Parser)
    bench_sub.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # that area has no commands yet
                continue
            raise
        module.register(sub, bench_sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except TrmError as exc:
        print(f"trm: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("trm: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `trm ... | head`: the reader left; not an error of ours
        sys.stderr.close()
        return 0
    return int(result or 0)


def print_json(obj) -> None:
    """Print one JSON object on stdout (what every `--json` flag promises)."""
    print(json.dumps(obj, indent=2, sort_keys=True, default=_json_default))


def _json_default(obj):
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "item"):
        return obj.item()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


if __name__ == "__main__":
    sys.exit(main())
