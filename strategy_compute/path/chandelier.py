"""Chandelier exit for longs: highest high of the last ``period`` rows minus multiplier * ATR(period).

ATR is TA-Lib's (first value on row ``period``), so the level starts on row ``period`` too, even
though the highest high exists one row earlier.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from strategy_compute.path.atr import AtrState, atr_kernel, initial_atr_state


@dataclass(frozen=True)
class ChandelierState:
    atr: AtrState
    recent_highs: tuple[float, ...]  # the last period - 1 highs, oldest first


def chandelier_long_path(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    period: int = 22,
    multiplier: float = 3.0,
    state: ChandelierState | None = None,
) -> tuple[np.ndarray, np.ndarray, ChandelierState]:
    """Level, the ATR(period) per row (part of the state) and the state after the last row."""
    high, low, close = (np.ascontiguousarray(a, dtype=np.float64) for a in (high, low, close))
    if state is None:
        state = ChandelierState(initial_atr_state(), ())
    atr_in = state.atr
    atr, rows_seen, tr_sum, last_atr, last_close = atr_kernel(
        high, low, close, int(period), atr_in.rows_seen, atr_in.true_range_sum, atr_in.atr, atr_in.last_close
    )
    history = np.concatenate([np.asarray(state.recent_highs, dtype=np.float64), high])
    rolling_max = pd.Series(history).rolling(int(period), min_periods=int(period)).max().to_numpy()
    highest = rolling_max[len(state.recent_highs) :]
    level = highest - float(multiplier) * atr
    keep = max(int(period) - 1, 0)
    recent = tuple(float(v) for v in history[len(history) - keep :]) if keep else ()
    final = ChandelierState(AtrState(int(rows_seen), float(tr_sum), float(last_atr), float(last_close)), recent)
    return level, atr, final


def chandelier_long_arrays(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    period: int = 22,
    multiplier: float = 3.0,
    state: ChandelierState | None = None,
) -> tuple[np.ndarray, ChandelierState]:
    level, _, final = chandelier_long_path(high, low, close, period, multiplier, state)
    return level, final


def chandelier_long(
    prices: pd.DataFrame,
    period: int = 22,
    multiplier: float = 3.0,
    state: ChandelierState | None = None,
) -> tuple[pd.Series, ChandelierState]:
    """The long chandelier level for one symbol's rows (sorted by date; high, low, close)."""
    level, final = chandelier_long_arrays(
        prices["high"].to_numpy(), prices["low"].to_numpy(), prices["close"].to_numpy(), period, multiplier, state
    )
    return pd.Series(level, index=prices.index, name="chandelier_long"), final
