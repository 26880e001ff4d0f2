"""Shared pieces of the file fuzz tests (issue 19): example counts, the time and memory bound every
reader must keep, and the check that only typed errors come out.

The normal suite runs a few hundred mutated files in all (seconds). A longer campaign is the same tests
with more examples:  TRM_FUZZ_EXAMPLES=2000 python -m pytest tests/engine/test_fuzz_files.py -q
"""

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


def only_typed_errors(fn, *args, **kwargs):
    """Run a reader: it may succeed or raise a TrmError, nothing else, and must finish in time."""
    start = time.perf_counter()
    try:
        return fn(*args, **kwargs)
    except TrmError:
        return None
    finally:
        took = time.perf_counter() - start
        assert took < TIME_BOUND_S, f"{getattr(fn, '__name__', fn)} took {took:.1f} s"
