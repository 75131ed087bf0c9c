"""SuperTrend(period, multiplier), defined exactly as documented in path_indicators.yml.

ATR(period) is TA-Lib's ATR. Basic bands are (high + low) / 2 -/+ multiplier * ATR. The final
upper band takes the basic upper band when that is lower than the previous final upper band or
the previous close was above the previous final upper band, else keeps the previous value; the
final lower band mirrors this (higher basic lower band, or previous close below it). On the first
row with an ATR both final bands equal the basic bands and the direction is -1. Afterwards a down
trend turns up when the close is above the final upper band and an up trend turns down when the
close is below the final lower band. SuperTrend is the final lower band in an up trend and the
final upper band in a down trend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from strategy_compute.kernels import kernel
from strategy_compute.path.atr import AtrState, atr_kernel, initial_atr_state


@dataclass(frozen=True)
class SupertrendState:
    atr: AtrState
    final_upper: float  # NaN before the first ATR
    final_lower: float
    direction: int  # 0 before the first ATR, else 1 or -1


@kernel()
def _bands_kernel(
    high, low, close, atr, multiplier, final_upper, final_lower, direction, last_close
):
    n = high.shape[0]
    line = np.full(n, np.nan)
    trend = np.zeros(n, dtype=np.int8)
    uppers = np.full(n, np.nan)
    lowers = np.full(n, np.nan)
    for i in range(n):
        if not np.isnan(atr[i]):
            middle = (high[i] + low[i]) / 2.0
            basic_upper = middle + multiplier * atr[i]
            basic_lower = middle - multiplier * atr[i]
            if direction == 0:
                final_upper = basic_upper
                final_lower = basic_lower
                direction = -1
            else:
                if basic_upper < final_upper or last_close > final_upper:
                    final_upper = basic_upper
                if basic_lower > final_lower or last_close < final_lower:
                    final_lower = basic_lower
                if direction == -1 and close[i] > final_upper:
                    direction = 1
                elif direction == 1 and close[i] < final_lower:
                    direction = -1
            line[i] = final_lower if direction == 1 else final_upper
            trend[i] = direction
            uppers[i] = final_upper
            lowers[i] = final_lower
        last_close = close[i]
    return line, trend, uppers, lowers, final_upper, final_lower, direction


@dataclass(frozen=True)
class SupertrendPath:
    """Per-row outputs; atr and the final bands are also the state after each row."""

    line: np.ndarray
    direction: np.ndarray  # 1.0 up, -1.0 down, NaN before the first ATR
    atr: np.ndarray
    final_upper: np.ndarray
    final_lower: np.ndarray
    final_state: SupertrendState


def supertrend_path(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    period: int = 10,
    multiplier: float = 3.0,
    state: SupertrendState | None = None,
) -> SupertrendPath:
    """The SuperTrend recursion over one symbol's rows, optionally continuing from ``state``."""
    high, low, close = (np.ascontiguousarray(a, dtype=np.float64) for a in (high, low, close))
    if state is None:
        state = SupertrendState(initial_atr_state(), np.nan, np.nan, 0)
    atr_in = state.atr
    atr, rows_seen, tr_sum, last_atr, last_close = atr_kernel(
        high, low, close, int(period), atr_in.rows_seen, atr_in.true_range_sum, atr_in.atr, atr_in.last_close
    )
    line, trend, uppers, lowers, upper, lower, direction = _bands_kernel(
        high,
        low,
        close,
        atr,
        float(multiplier),
        state.final_upper,
        state.final_lower,
        int(state.direction),
        atr_in.last_close,
    )
    direction_out = np.where(trend == 0, np.nan, trend.astype(np.float64))
    final = SupertrendState(
        AtrState(int(rows_seen), float(tr_sum), float(last_atr), float(last_close)),
        float(upper),
        float(lower),
        int(direction),
    )
    return SupertrendPath(line, direction_out, atr, uppers, lowers, final)


def supertrend_arrays(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    period: int = 10,
    multiplier: float = 3.0,
    state: SupertrendState | None = None,
) -> tuple[np.ndarray, np.ndarray, SupertrendState]:
    """SuperTrend line, direction (NaN before the first ATR) and the state after the last row."""
    path = supertrend_path(high, low, close, period, multiplier, state)
    return path.line, path.direction, path.final_state


def supertrend(
    prices: pd.DataFrame,
    period: int = 10,
    multiplier: float = 3.0,
    state: SupertrendState | None = None,
) -> tuple[pd.DataFrame, SupertrendState]:
    """SuperTrend line and direction for one symbol's rows (sorted by date; high, low, close)."""
    line, direction, final = supertrend_arrays(
        prices["high"].to_numpy(), prices["low"].to_numpy(), prices["close"].to_numpy(), period, multiplier, state
    )
    frame = pd.DataFrame(
        {
            "supertrend": line,
            "supertrend_direction": pd.array(np.where(np.isnan(direction), None, direction), dtype="Int64"),
        },
        index=prices.index,
    )
    return frame, final
