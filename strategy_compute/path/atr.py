"""Average True Range with TA-Lib's seeding, as a compiled recursion that can be continued.

TA-Lib ``ATR(n)`` (unstable period 0): the true range exists from row 1 on
(max of high-low, |high-previous close|, |low-previous close|); the first ATR is on row n and is
the plain mean of the true ranges of rows 1..n; afterwards ``atr = (atr * (n - 1) + tr) / n``.
The arithmetic below keeps TA-Lib's order of operations so results agree to the last bits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from strategy_compute.kernels import kernel


@dataclass(frozen=True)
class AtrState:
    """The ATR recursion after the last processed row."""

    rows_seen: int
    true_range_sum: float  # running sum of true ranges while fewer than n exist
    atr: float  # NaN until row n
    last_close: float


@kernel()
def atr_kernel(high, low, close, period, rows_seen, true_range_sum, atr, last_close):
    """ATR per row plus the continued state (rows_seen, true_range_sum, atr, last_close)."""
    n = high.shape[0]
    out = np.full(n, np.nan)
    for i in range(n):
        if rows_seen >= 1:
            true_range = high[i] - low[i]
            up = abs(last_close - high[i])
            if up > true_range:
                true_range = up
            down = abs(low[i] - last_close)
            if down > true_range:
                true_range = down
            if rows_seen < period:
                true_range_sum += true_range
            elif rows_seen == period:
                true_range_sum += true_range
                atr = true_range_sum / period
            else:
                atr = atr * (period - 1)
                atr = atr + true_range
                atr = atr / period
            if rows_seen >= period:
                out[i] = atr
        rows_seen += 1
        last_close = close[i]
    return out, rows_seen, true_range_sum, atr, last_close


def initial_atr_state() -> AtrState:
    return AtrState(rows_seen=0, true_range_sum=0.0, atr=np.nan, last_close=np.nan)
