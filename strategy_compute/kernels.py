"""Loop kernels compiled with numba only for inputs large enough to repay the compiler.

A fresh process pays about a second before its first numba call (importing numba, initialising
LLVM, loading each kernel from its ``cache=True`` file), and a daily run's dbt process is always
fresh. A daily run hands the kernels a few rows per group (the new session), which the same
function runs as plain Python in microseconds. ``kernel(rows_below=N)`` wraps a loop kernel so that
a call whose input has fewer than N rows runs the Python function itself, and a larger
call compiles it once per process with ``numba.njit(cache=True, ...)`` (numba imported only then).

Both run the same source: numba's default (no fastmath) keeps IEEE double arithmetic in the
source's order, so the two agree; tests/python/test_kernels.py checks each kernel both ways.
The kernels must stay numba-compatible and must not call one another.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

# Below this many rows a call runs as Python: about 10 ms for the path kernels (a few microseconds
# a row), while numba's first call in a process costs 0.5 to 1 s.
SMALL_INPUT_ROWS = 2_000


class Kernel:
    """A numba-compatible function, run in Python below ``rows_below`` rows and compiled above."""

    def __init__(self, function: Callable[..., Any], rows_below: int, rows_argument: int,
                 options: dict[str, Any]) -> None:
        self.py_func = function
        self.rows_below = rows_below
        self.rows_argument = rows_argument
        self.options = options
        self._compiled: Callable[..., Any] | None = None
        functools.update_wrapper(self, function)

    @property
    def compiled(self) -> Callable[..., Any]:
        """The numba dispatcher (compiled, or loaded from numba's cache, on first use)."""
        if self._compiled is None:
            from numba import njit

            self._compiled = njit(cache=True, **self.options)(self.py_func)
        return self._compiled

    def __call__(self, *args: Any) -> Any:
        if len(args[self.rows_argument]) < self.rows_below:
            return self.py_func(*args)
        return self.compiled(*args)


def kernel(rows_below: int = SMALL_INPUT_ROWS, rows_argument: int = 0,
           **options: Any) -> Callable[[Callable[..., Any]], Kernel]:
    """Decorator: ``@kernel()`` or ``@kernel(rows_below=..., rows_argument=1, nogil=True)``.

    ``rows_argument``: the position of the argument whose length is the input's row count;
    other keyword options go to ``numba.njit``."""

    def wrap(function: Callable[..., Any]) -> Kernel:
        return Kernel(function, rows_below, rows_argument, options)

    return wrap
