"""strategy_compute.kernels: each loop kernel gives the same arrays as Python and compiled with numba.

A daily run runs the kernels as Python (few rows), a full build compiled; incremental equals full
refresh only if both agree. Random walks with gaps (NaN stops), flat stretches (ties) and states
carried in, each kernel called once per way on the same inputs; equal to the last bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from strategy_compute.kernels import SMALL_INPUT_ROWS, Kernel
from strategy_compute.path.atr import atr_kernel
from strategy_compute.path.psar import _psar_kernel
from strategy_compute.path.supertrend import _bands_kernel
from strategy_compute.positions import _decide_kernel


def _prices(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 100 + np.cumsum(rng.normal(size=rows))
    close[rows // 3 : rows // 3 + 5] = close[rows // 3]  # a flat stretch: ties in every comparison
    spread = np.abs(rng.normal(size=rows))
    return close + spread, close - spread, close


def _assert_same(python: tuple, compiled: tuple) -> None:
    assert len(python) == len(compiled)
    for left, right in zip(python, compiled, strict=True):
        left, right = np.asarray(left), np.asarray(right)
        assert left.dtype.kind == right.dtype.kind or left.ndim == 0
        assert np.array_equal(left.astype(np.float64), right.astype(np.float64), equal_nan=True)


def _both(function: Kernel, *args) -> None:
    _assert_same(function.py_func(*args), function.compiled(*args))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_path_kernels_agree(seed):
    high, low, close = _prices(300, seed)
    _both(_psar_kernel, high, low, 0.02, 0.2, False, False, np.nan, np.nan, np.nan, np.nan, np.nan)
    _both(_psar_kernel, high, low, 0.03, 0.3, True, False, high[0] + 1, low[0] - 2, 0.06, high[0], low[0])
    _both(atr_kernel, high, low, close, 10, 0, 0.0, np.nan, np.nan)
    _both(atr_kernel, high, low, close, 22, 30, 0.0, 1.5, close[0])
    atr = atr_kernel.py_func(high, low, close, 10, 0, 0.0, np.nan, np.nan)[0]
    _both(_bands_kernel, high, low, close, atr, 3.0, np.nan, np.nan, 0, np.nan)
    _both(_bands_kernel, high, low, close, atr, 2.0, high[0] + 3, low[0] - 3, 1, close[0])


@pytest.mark.parametrize("seed", [1, 2])
def test_position_kernel_agrees(seed):
    rng = np.random.default_rng(seed)
    rows, groups = 2_000, 40
    offsets = np.r_[0, np.sort(rng.choice(np.arange(1, rows), groups - 1, replace=False)), rows].astype(np.int64)
    stops = np.where(rng.random(rows) < 0.3, np.nan, 100 + rng.normal(size=rows))
    _both(
        _decide_kernel, offsets, rng.random(rows) < 0.1, rng.random(rows) < 0.1,
        np.arange(rows, dtype=np.int64), stops, 100 + rng.normal(size=rows),
        rng.integers(0, 20, groups).astype(np.int64), rng.random(groups) < 0.5,
        rng.integers(0, 5, groups).astype(np.int64), np.arange(groups, dtype=np.int64),
        np.where(rng.random(groups) < 0.5, np.nan, 99.0),
    )


def test_small_inputs_run_as_python_and_large_ones_compiled(monkeypatch):
    calls = []

    def compiled(*args):
        calls.append("compiled")
        return atr_kernel.py_func(*args)

    monkeypatch.setattr(atr_kernel, "_compiled", compiled)
    small = _prices(SMALL_INPUT_ROWS - 1, 4)
    large = _prices(SMALL_INPUT_ROWS, 4)
    atr_kernel(*small, 10, 0, 0.0, np.nan, np.nan)
    assert calls == []
    atr_kernel(*large, 10, 0, 0.0, np.nan, np.nan)
    assert calls == ["compiled"]
