"""Shared pieces of the file fuzz tests (issue 19): example counts, the time and memory bound every
reader must keep, and the check that only typed errors come out.

The normal suite runs a few hundred mutated files in all (seconds). A longer campaign is the same tests
with more examples:  TRM_FUZZ_EXAMPLES=2000 python -m pytest tests/engine/test_fuzz_files.py -q
(add TRM_FUZZ_REPORT=FILE for the outcomes per reader as JSON).
"""

import atexit
import collections
import json
import os
import resource
import time

from hypothesis import HealthCheck, settings

from trm_engine.errors import TrmError

EXAMPLES = int(os.environ.get("TRM_FUZZ_EXAMPLES", "0"))
TIME_BOUND_S = 15.0  # per mutated file, all readers together (a probe that times out is given 3 s)
MEMORY_BOUND = 1 << 30  # growth of this process's peak resident memory over the whole test


def fuzz_settings(examples: int):
    """Hypothesis settings: `examples` by default, TRM_FUZZ_EXAMPLES when set."""
    return settings(max_examples=EXAMPLES or examples, deadline=None, derandomize=not EXAMPLES,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# Outcomes per reader ("ok" or the TrmError class), written as JSON at exit when TRM_FUZZ_REPORT names a file:
#   TRM_FUZZ_EXAMPLES=500 TRM_FUZZ_REPORT=fuzz.json python -m pytest tests/engine/test_fuzz_files.py -q
OUTCOMES: collections.Counter = collections.Counter()


def _write_report() -> None:
    report: dict = {}
    for (reader, outcome), n in sorted(OUTCOMES.items()):
        report.setdefault(reader, {})[outcome] = n
    with open(os.environ["TRM_FUZZ_REPORT"], "w") as fh:
        json.dump(report, fh, indent=2, sort_keys=True)


if os.environ.get("TRM_FUZZ_REPORT"):
    atexit.register(_write_report)


def only_typed_errors(fn, *args, **kwargs):
    """Run a reader: it may succeed or raise a TrmError, nothing else, and must finish in time."""
    start = time.perf_counter()
    name = getattr(fn, "__qualname__", str(fn))
    try:
        result = fn(*args, **kwargs)
        OUTCOMES[name, "ok"] += 1
        return result
    except TrmError as exc:
        OUTCOMES[name, type(exc).__name__] += 1
        return None
    finally:
        took = time.perf_counter() - start
        assert took < TIME_BOUND_S, f"{getattr(fn, '__name__', fn)} took {took:.1f} s"
