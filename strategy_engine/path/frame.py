"""Apply every configured path indicator to one symbol's prices, or to many symbols one by one."""

from __future__ import annotations

import numpy as np
import pandas as pd

from strategy_engine.path.chandelier import chandelier_long_arrays
from strategy_engine.path.params import PathIndicatorParams
from strategy_engine.path.psar import psar_arrays
from strategy_engine.path.supertrend import supertrend_arrays

KEY_COLUMNS = ["symbol", "trade_date"]
CARRIED_COLUMNS = ["close"]


def _nullable(values: np.ndarray, dtype: str) -> pd.api.extensions.ExtensionArray:
    missing = np.isnan(values)
    if dtype == "boolean":
        return pd.arrays.BooleanArray(values == 1, missing)
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)


def path_indicators_for_symbol(prices: pd.DataFrame, params: PathIndicatorParams) -> pd.DataFrame:
    """One symbol's rows (sorted by trade_date; high, low, close) -> the path indicator columns.

    Pure: no I/O, the input is not modified, the output has the input's index.
    """
    high = prices["high"].to_numpy(dtype=np.float64)
    low = prices["low"].to_numpy(dtype=np.float64)
    close = prices["close"].to_numpy(dtype=np.float64)
    out: dict[str, object] = {}
    for p in params.psar:
        sar, is_long, _ = psar_arrays(high, low, p.acceleration, p.maximum)
        out[p.value_column] = sar
        out[p.trend_column] = _nullable(is_long, "boolean")
    for s in params.supertrend:
        line, direction, _ = supertrend_arrays(high, low, close, s.period, s.multiplier)
        out[s.value_column] = line
        out[s.direction_column] = _nullable(direction, "bigint")
    for c in params.chandelier_long:
        level, _ = chandelier_long_arrays(high, low, close, c.period, c.multiplier)
        out[c.value_column] = level
    return pd.DataFrame(out, index=prices.index)


def path_indicators(prices: pd.DataFrame, params: PathIndicatorParams) -> pd.DataFrame:
    """Many symbols: sort by (symbol, trade_date), apply the per-symbol function to each symbol.

    Returns symbol, trade_date, close and the indicator columns, one row per input row.
    """
    ordered = prices.sort_values(KEY_COLUMNS, kind="stable").reset_index(drop=True)
    symbols = ordered["symbol"].to_numpy()
    starts = np.flatnonzero(np.r_[True, symbols[1:] != symbols[:-1]]) if len(ordered) else np.array([], dtype=int)
    bounds = np.r_[starts, len(ordered)]
    pieces = [path_indicators_for_symbol(ordered.iloc[bounds[i] : bounds[i + 1]], params) for i in range(len(starts))]
    columns = [name for name, _ in params.output_columns()]
    computed = pd.concat(pieces) if pieces else pd.DataFrame(columns=columns)
    return pd.concat([ordered[KEY_COLUMNS + CARRIED_COLUMNS], computed[columns]], axis=1)
