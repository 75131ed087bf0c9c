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


@dataclass
class _Decisions:
    """The output columns of a run, preallocated for every row and filled group by group."""

    in_position: np.ndarray
    holding: np.ndarray
    entry_dates: np.ndarray
    signal_type: np.ndarray
    exit_reason: np.ndarray
    stop_level: np.ndarray

    @classmethod
    def empty(cls, rows: int) -> _Decisions:
        return cls(
            np.zeros(rows, dtype=bool),
            np.full(rows, -1, dtype=np.int64),
            np.empty(rows, dtype=object),
            np.empty(rows, dtype=object),
            np.empty(rows, dtype=object),
            np.full(rows, np.nan),
        )

    def add_to(self, candidates: pd.DataFrame) -> pd.DataFrame:
        result = candidates.copy()
        result["in_position"] = self.in_position
        result["holding_days"] = pd.array(np.where(self.holding >= 0, self.holding, 0), dtype="Int64")
        result.loc[self.holding < 0, "holding_days"] = pd.NA
        result["entry_date"] = pd.to_datetime(pd.Series(self.entry_dates, index=candidates.index, dtype=object))
        # object dtype keeps None for "no signal" (pandas would otherwise infer a string dtype with NaN).
        result["signal_type"] = pd.Series(self.signal_type, index=candidates.index, dtype=object)
        result["exit_reason"] = pd.Series(self.exit_reason, index=candidates.index, dtype=object)
        result["stop_level"] = self.stop_level
        return result


def _decide(
    out: _Decisions,
    rows: range,
    inputs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    max_holding_days: int,
    state: PositionState,
) -> PositionState:
    """Run the machine over ``rows`` (one group, in date order) from ``state``; fill ``out``."""
    entries, exits, dates, stops, closes = inputs
    open_now, held, entered_on, stop = state.in_position, state.holding_days, state.entry_date, state.stop_level
    for i in rows:
        if not open_now:
            if entries[i]:
                open_now, held, entered_on, stop = True, 0, dates[i], stops[i]
                out.signal_type[i] = ENTRY
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
                out.signal_type[i], out.exit_reason[i] = EXIT, reason
                out.entry_dates[i], out.holding[i] = entered_on, held
                open_now, held, entered_on, stop = False, 0, None, math.nan
                continue
            if not math.isnan(stops[i]):
                stop = stops[i] if math.isnan(stop) else max(stop, stops[i])
        if open_now:
            out.in_position[i], out.holding[i], out.entry_dates[i], out.stop_level[i] = True, held, entered_on, stop
    return PositionState(open_now, held, entered_on, stop)


def _inputs(candidates: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rows = len(candidates)
    has_stop = "stop_candidate" in candidates.columns
    return (
        candidates["is_entry_candidate"].to_numpy(dtype=bool),
        candidates["is_exit_candidate"].to_numpy(dtype=bool),
        candidates["trade_date"].to_numpy(),
        candidates["stop_candidate"].to_numpy(dtype=float) if has_stop else np.full(rows, np.nan),
        candidates["close_price"].to_numpy(dtype=float) if has_stop else np.full(rows, np.nan),
    )


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
    out = _Decisions.empty(len(candidates))
    final_state = _decide(out, range(len(candidates)), _inputs(candidates), max_holding_days,
                          initial_state or PositionState())
    return out.add_to(candidates), final_state


def run_positions_by_group(
    candidates: pd.DataFrame,
    group_columns: list[str],
    states: dict[tuple, PositionState] | None = None,
) -> pd.DataFrame:
    """Many groups at once: sort by (group, trade_date), run each group from its state in ``states``
    (keyed by the tuple of group values; flat when absent) with its max_holding_days column.

    Equal to run_positions per group, without a DataFrame per group: a daily run over thousands
    of groups of one new row each costs little beyond the loop itself.
    """
    ordered = candidates.sort_values([*group_columns, "trade_date"], kind="stable").reset_index(drop=True)
    rows = len(ordered)
    keys = list(zip(*(ordered[c].to_numpy() for c in group_columns), strict=True)) if rows else []
    starts = [i for i in range(rows) if i == 0 or keys[i] != keys[i - 1]]
    inputs = _inputs(ordered)
    holding_limits = ordered["max_holding_days"].to_numpy() if rows else np.array([])
    states = states or {}
    out = _Decisions.empty(rows)
    for first, end in zip(starts, [*starts[1:], rows], strict=True):
        _decide(out, range(first, end), inputs, int(holding_limits[first]), states.get(keys[first], PositionState()))
    return out.add_to(ordered)
