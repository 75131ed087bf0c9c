"""Apply every configured path indicator to one symbol's prices, or to many symbols one by one.

The output carries, beside the indicators, the state each recursion has after the row (SAR for
the next row, extreme point, acceleration factor, ATRs, final bands). A later run rebuilds the
state from a symbol's last stored rows (``state_from_stored``) and continues with only the new
rows; the result equals a full recomputation bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from strategy_compute.path.atr import AtrState
from strategy_compute.path.chandelier import ChandelierState, chandelier_long_path
from strategy_compute.path.params import PathIndicatorParams
from strategy_compute.path.psar import PsarState, psar_path
from strategy_compute.path.supertrend import SupertrendState, supertrend_path

KEY_COLUMNS = ["symbol", "trade_date"]
CARRIED_COLUMNS = ["high", "low", "close"]


@dataclass(frozen=True)
class SymbolState:
    """Every recursion's state after a symbol's last stored row, in parameter-set order."""

    psar: tuple[PsarState, ...]
    supertrend: tuple[SupertrendState, ...]
    chandelier_long: tuple[ChandelierState, ...]


def _nullable(values: np.ndarray, dtype: str) -> pd.api.extensions.ExtensionArray:
    missing = np.isnan(values)
    if dtype == "boolean":
        return pd.arrays.BooleanArray(values == 1, missing)
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)


def _symbol_columns(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, params: PathIndicatorParams, state: SymbolState | None
) -> dict[str, np.ndarray]:
    """Every output column as float64 (NaN for NULL; trend 1/0, direction 1/-1)."""
    out: dict[str, np.ndarray] = {}
    for i, p in enumerate(params.psar):
        path = psar_path(high, low, p.acceleration, p.maximum, state.psar[i] if state else None)
        out[p.value_column] = path.sar
        out[p.trend_column] = path.is_long
        next_column, ep_column, af_column = p.state_columns
        out[next_column] = path.next_sar
        out[ep_column] = path.extreme_point
        out[af_column] = path.acceleration_factor
    for i, s in enumerate(params.supertrend):
        trend = supertrend_path(high, low, close, s.period, s.multiplier, state.supertrend[i] if state else None)
        out[s.value_column] = trend.line
        out[s.direction_column] = trend.direction
        atr_column, upper_column, lower_column = s.state_columns
        out[atr_column] = trend.atr
        out[upper_column] = trend.final_upper
        out[lower_column] = trend.final_lower
    for i, c in enumerate(params.chandelier_long):
        level, atr, _ = chandelier_long_path(
            high, low, close, c.period, c.multiplier, state.chandelier_long[i] if state else None
        )
        out[c.value_column] = level
        out[c.atr_column] = atr
    return out


def _as_frame(columns: dict[str, np.ndarray], params: PathIndicatorParams, index: pd.Index) -> pd.DataFrame:
    typed = {
        name: columns[name] if kind == "double" else _nullable(columns[name], kind)
        for name, kind in params.output_columns()
    }
    return pd.DataFrame(typed, index=index)


def path_indicators_for_symbol(
    prices: pd.DataFrame, params: PathIndicatorParams, state: SymbolState | None = None
) -> pd.DataFrame:
    """One symbol's rows (sorted by trade_date; high, low, close) -> indicator and state columns.

    Pure: no I/O, the input is not modified, the output has the input's index. With ``state``
    the rows are treated as the continuation of the history that state summarises.
    """
    high = prices["high"].to_numpy(dtype=np.float64)
    low = prices["low"].to_numpy(dtype=np.float64)
    close = prices["close"].to_numpy(dtype=np.float64)
    return _as_frame(_symbol_columns(high, low, close, params, state), params, prices.index)


def state_from_stored(tail: pd.DataFrame, stored_rows: int, params: PathIndicatorParams) -> SymbolState | None:
    """Rebuild a symbol's state from its last stored rows (sorted by trade_date, mart columns).

    ``stored_rows`` is how many rows the symbol has stored in total. Returns None when the
    symbol is still inside a warm-up (then it must be replayed from its first row).
    """
    longest_window = max([1, *(c.period for c in params.chandelier_long)])
    if stored_rows < params.longest_lookback or len(tail) < min(stored_rows, longest_window):
        return None
    last = tail.iloc[-1]
    high, low, close = float(last["high"]), float(last["low"]), float(last["close"])
    psar_states = []
    for p in params.psar:
        next_column, ep_column, af_column = p.state_columns
        psar_states.append(
            PsarState(
                bool(last[p.trend_column]),
                float(last[next_column]),
                float(last[ep_column]),
                float(last[af_column]),
                high,
                low,
            )
        )
    trend_states = []
    for s in params.supertrend:
        atr_column, upper_column, lower_column = s.state_columns
        trend_states.append(
            SupertrendState(
                AtrState(stored_rows, np.nan, float(last[atr_column]), close),
                float(last[upper_column]),
                float(last[lower_column]),
                int(last[s.direction_column]),
            )
        )
    highs = tail["high"].to_numpy(dtype=np.float64)
    chandelier_states = [
        ChandelierState(
            AtrState(stored_rows, np.nan, float(last[c.atr_column]), close),
            tuple(float(v) for v in highs[len(highs) - (c.period - 1) :]) if c.period > 1 else (),
        )
        for c in params.chandelier_long
    ]
    return SymbolState(tuple(psar_states), tuple(trend_states), tuple(chandelier_states))


def _symbol_bounds(ordered: pd.DataFrame) -> np.ndarray:
    symbols = ordered["symbol"].to_numpy()
    if not len(symbols):
        return np.array([0], dtype=int)
    starts = np.flatnonzero(np.r_[True, symbols[1:] != symbols[:-1]])
    return np.r_[starts, len(ordered)]


def path_indicators(
    prices: pd.DataFrame,
    params: PathIndicatorParams,
    states: dict[str, SymbolState] | None = None,
) -> pd.DataFrame:
    """Many symbols: sort by (symbol, trade_date), apply the per-symbol computation to each symbol.

    ``states`` (optional) continues the named symbols from their stored state. Returns symbol,
    trade_date, high, low, close and the indicator and state columns, one row per input row.
    Works on numpy slices of the sorted columns (no per-symbol DataFrame), so thousands of
    symbols cost little beyond the compiled loops.
    """
    ordered = prices.sort_values(KEY_COLUMNS, kind="stable").reset_index(drop=True)
    bounds = _symbol_bounds(ordered)
    states = states or {}
    high = ordered["high"].to_numpy(dtype=np.float64)
    low = ordered["low"].to_numpy(dtype=np.float64)
    close = ordered["close"].to_numpy(dtype=np.float64)
    symbols = ordered["symbol"].to_numpy()
    columns = {name: np.full(len(ordered), np.nan) for name, _ in params.output_columns()}
    for first, end in zip(bounds[:-1], bounds[1:], strict=True):
        piece = _symbol_columns(high[first:end], low[first:end], close[first:end], params, states.get(symbols[first]))
        for name, values in piece.items():
            columns[name][first:end] = values
    computed = _as_frame(columns, params, ordered.index)
    return pd.concat([ordered[KEY_COLUMNS + CARRIED_COLUMNS], computed], axis=1)


def continue_path_indicators(
    new_prices: pd.DataFrame,
    stored_tails: pd.DataFrame,
    params: PathIndicatorParams,
) -> tuple[pd.DataFrame, set[str]]:
    """Continue symbols from their stored rows; report the ones that must be replayed instead.

    ``stored_tails``: each symbol's last stored rows (mart columns plus ``stored_rows``, the
    symbol's stored row count). ``new_prices``: rows after each symbol's last stored date.
    Returns the computed new rows of continuable symbols and the set of symbols without a
    usable state (still in warm-up).
    """
    states: dict[str, SymbolState] = {}
    replay: set[str] = set()
    for symbol, tail in stored_tails.sort_values(KEY_COLUMNS).groupby("symbol", sort=False):
        state = state_from_stored(tail, int(tail["stored_rows"].iat[0]), params)
        if state is None:
            replay.add(symbol)
        else:
            states[symbol] = state
    continuable = new_prices[new_prices["symbol"].isin(states.keys())]
    return path_indicators(continuable, params, states), replay
