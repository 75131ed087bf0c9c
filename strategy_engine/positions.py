"""The position state machine of a long-only strategy, as one pure function.

It turns a strategy's entry/exit *candidates* for one (strategy, param set, symbol), sorted by
date, into signals that strictly alternate: an entry only while flat, an exit only while in a
position. The dbt Python model `positions` applies it per group; tests call it directly.

Rules, evaluated once per row (one trading day, at its close):
- flat: an entry candidate opens a position (signal ENTRY_LONG, holding_days 0, the stop level
  starts at the row's stop_candidate when that column exists).
- in a position (not on the entry day), holding_days += 1, then the first that holds exits
  (EXIT_LONG), in this order of precedence:
    1. 'trailing_stop'    close < stop level carried from the previous day
    2. 'signal'           an exit candidate
    3. 'max_holding_days' holding_days >= max_holding_days (> 0)
  Otherwise the stop level ratchets: max(previous level, today's stop_candidate).
- a day that exits does not re-enter; the earliest re-entry is the next row.

Resumable: the state after a row is exactly what the row stores (in_position, holding_days,
entry_date, stop_level), so ``state_from_stored`` rebuilds it from a group's last stored row and
``run_positions(new_rows, initial_state=...)`` continues with only the new days; the result
equals a run over the whole history.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

ENTRY = "ENTRY_LONG"
EXIT = "EXIT_LONG"
OUTPUT_COLUMNS = ("in_position", "holding_days", "entry_date", "signal_type", "exit_reason", "stop_level")


@dataclass(frozen=True)
class PositionState:
    """Where the machine stands after a row; feed it back to continue from that row (incremental)."""

    in_position: bool = False
    holding_days: int = 0
    entry_date: object = None
    stop_level: float = math.nan


def state_from_stored(in_position: bool, holding_days: object, entry_date: object, stop_level: object) -> PositionState:
    """The state after a stored row, from that row's output columns (NULLs as None/NaN/NaT).

    A flat row (including an exit day) leaves the machine flat; an open row carries its holding
    days, entry date and stop level (NaN when the strategy has no trailing stop).
    """
    if not bool(in_position):
        return PositionState()
    stop = math.nan if stop_level is None or pd.isna(stop_level) else float(stop_level)
    return PositionState(True, int(holding_days), pd.Timestamp(entry_date).to_datetime64(), stop)


def run_positions(
    candidates: pd.DataFrame,
    max_holding_days: int = 0,
    initial_state: PositionState | None = None,
) -> tuple[pd.DataFrame, PositionState]:
    """Apply the state machine to one group's rows (sorted by trade_date).

    `candidates` needs trade_date, is_entry_candidate, is_exit_candidate; close_price and
    stop_candidate are needed only for trailing stops (stop_candidate absent means no stop).
    Returns a copy with OUTPUT_COLUMNS added, and the state after the last row.
    """
    state = initial_state or PositionState()
    rows = len(candidates)
    entries = candidates["is_entry_candidate"].to_numpy(dtype=bool)
    exits = candidates["is_exit_candidate"].to_numpy(dtype=bool)
    dates = candidates["trade_date"].to_numpy()
    has_stop = "stop_candidate" in candidates.columns
    stops = candidates["stop_candidate"].to_numpy(dtype=float) if has_stop else np.full(rows, np.nan)
    closes = candidates["close_price"].to_numpy(dtype=float) if has_stop else np.full(rows, np.nan)

    in_position = np.zeros(rows, dtype=bool)
    holding = np.full(rows, -1, dtype=np.int64)
    entry_dates = np.empty(rows, dtype=object)
    signal_type = np.empty(rows, dtype=object)
    exit_reason = np.empty(rows, dtype=object)
    stop_level = np.full(rows, np.nan)

    open_now, held, entered_on, stop = state.in_position, state.holding_days, state.entry_date, state.stop_level
    for i in range(rows):
        if not open_now:
            if entries[i]:
                open_now, held, entered_on, stop = True, 0, dates[i], stops[i]
                signal_type[i] = ENTRY
        else:
            held += 1
            reason = None
            if not math.isnan(stop) and closes[i] < stop:
                reason = "trailing_stop"
            elif exits[i]:
                reason = "signal"
            elif max_holding_days > 0 and held >= max_holding_days:
                reason = "max_holding_days"
            if reason is not None:
                signal_type[i], exit_reason[i] = EXIT, reason
                entry_dates[i], holding[i] = entered_on, held
                open_now, held, entered_on, stop = False, 0, None, math.nan
                continue
            if not math.isnan(stops[i]):
                stop = stops[i] if math.isnan(stop) else max(stop, stops[i])
        if open_now:
            in_position[i], holding[i], entry_dates[i], stop_level[i] = True, held, entered_on, stop

    result = candidates.copy()
    result["in_position"] = in_position
    result["holding_days"] = pd.array(np.where(holding >= 0, holding, 0), dtype="Int64")
    result.loc[holding < 0, "holding_days"] = pd.NA
    result["entry_date"] = pd.to_datetime(pd.Series(entry_dates, index=candidates.index, dtype=object))
    # object dtype keeps None for "no signal" (pandas would otherwise infer a string dtype with NaN).
    result["signal_type"] = pd.Series(signal_type, index=candidates.index, dtype=object)
    result["exit_reason"] = pd.Series(exit_reason, index=candidates.index, dtype=object)
    result["stop_level"] = stop_level
    final_state = PositionState(open_now, held, entered_on, stop)
    return result, final_state
