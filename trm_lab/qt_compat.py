"""Work-arounds for defects of the Qt binding in use, applied when trm_lab is imported.

PySide6 6.12.0 on CPython 3.11 drops one reference to None on every call of a method that returns
nothing (QPainter.fillRect, setPen, QWidget.update, ...): after a few thousand calls None's reference
count reaches zero and the interpreter aborts with "none_dealloc: deallocating None". It does the same
to True and False whenever a signal emitted from Python carries one to a Python slot
(`sig.emit(True)`; pyqtgraph does this all the time), which ends in "bool_dealloc" at exit. CPython
3.12 made these singletons immortal (PEP 683), which hides the defect there. On older interpreters we
give them a reference count no session can exhaust, which is what 3.12 does by design.
"""

from __future__ import annotations

import ctypes
import sys

_PAD = 1 << 60  # ~1e18 calls before the count could reach zero again


def make_none_immortal() -> bool:
    """Raise the reference counts of None, True and False out of reach (CPython < 3.12 only); True if
    they were changed."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    for singleton in (None, True, False):
        refcnt = ctypes.c_ssize_t.from_address(id(singleton))  # ob_refcnt is the first field of every object
        if refcnt.value < _PAD // 2:
            refcnt.value += _PAD
    return True


make_none_immortal()
