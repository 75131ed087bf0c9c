"""The position state machine of a long-only strategy, as one pure function compiled with numba.

It turns a strategy's entry/exit *candidates* for one (strategy, param set, symbol), sorted by
date, into signals that strictly alternate: an entry only while flat, an exit only while in a
position. ``decide_groups`` runs it over many groups at once (contiguous numpy columns, group
boundaries as offsets); ``decide_table`` is its Arrow interface (the DuckDB path of the dbt Python
model `positions`) and ``run_positions`` its pandas interface for one group (the Spark path and
the unit tests).

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
entry_date, stop_level), so ``state_from_stored`` (or the ``stored_*`` columns of
``decide_table``) rebuilds it from a group's last stored row and a run over only the new days,
started from it, equals a run over the whole history.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from strategy_compute.kernels import kernel

ENTRY = "ENTRY_LONG"
EXIT = "EXIT_LONG"
OUTPUT_COLUMNS = ("in_position", "holding_days", "entry_date", "signal_type", "exit_reason", "stop_level")
# The kernel's codes index these (0 = no signal / no exit).
SIGNAL_TYPES = (None, ENTRY, EXIT)
EXIT_REASONS = (None, "trailing_stop", "signal", "max_holding_days")
_ENTRY_CODE, _EXIT_CODE = 1, 2
_TRAILING_STOP, _SIGNAL, _MAX_HOLDING_DAYS = 1, 2, 3
# Dates are days since 1970-01-01 inside the kernel; this marks "no date" (flat).
NO_DAY = np.iinfo(np.int64).min
# decide_table: the columns of a group's last stored row that carry its state into a run.
STORED_STATE_COLUMNS = ("stored_in_position", "stored_holding_days", "stored_entry_date", "stored_stop_level")


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


@dataclass(frozen=True)
class GroupStates:
    """One machine state per group, as columns: where each group starts, or where it ended."""

    in_position: np.ndarray  # bool
    holding_days: np.ndarray  # int64
    entry_day: np.ndarray  # int64 days since 1970-01-01, NO_DAY when flat
    stop_level: np.ndarray  # float64, NaN when there is no stop

    @classmethod
    def flat(cls, groups: int) -> GroupStates:
        return cls(np.zeros(groups, dtype=np.bool_), np.zeros(groups, dtype=np.int64),
                   np.full(groups, NO_DAY, dtype=np.int64), np.full(groups, np.nan))


@dataclass(frozen=True)
class Decisions:
    """The output columns of a run, one value per input row."""

    in_position: np.ndarray  # bool
    holding_days: np.ndarray  # int64, -1 when flat (NULL)
    entry_day: np.ndarray  # int64 days since 1970-01-01, NO_DAY when flat (NULL)
    signal_code: np.ndarray  # int8 index into SIGNAL_TYPES
    exit_reason_code: np.ndarray  # int8 index into EXIT_REASONS
    stop_level: np.ndarray  # float64, NaN when flat or without a stop (NULL)


# Python below 50,000 rows (about 4 us a row: 0.2 s at most), e.g. a daily run's new day of 2,000
# symbols x 11 parameter sets; numba for full builds and replays (batches of up to 2M rows).
@kernel(rows_below=50_000, rows_argument=1, nogil=True)
def _decide_kernel(
    offsets, entries, exits, days, stops, closes, max_holding_days, start_open, start_held, start_entry, start_stop
):
    rows = entries.shape[0]
    groups = offsets.shape[0] - 1
    in_position = np.zeros(rows, dtype=np.bool_)
    holding = np.full(rows, -1, dtype=np.int64)
    entry_day = np.full(rows, NO_DAY, dtype=np.int64)
    signal = np.zeros(rows, dtype=np.int8)
    reason = np.zeros(rows, dtype=np.int8)
    stop_level = np.full(rows, np.nan)
    end_open = np.zeros(groups, dtype=np.bool_)
    end_held = np.zeros(groups, dtype=np.int64)
    end_entry = np.full(groups, NO_DAY, dtype=np.int64)
    end_stop = np.full(groups, np.nan)
    for group in range(groups):
        open_now = start_open[group]
        held = start_held[group]
        entered_on = start_entry[group]
        stop = start_stop[group]
        limit = max_holding_days[group]
        for i in range(offsets[group], offsets[group + 1]):
            if not open_now:
                if entries[i]:
                    open_now, held, entered_on, stop = True, 0, days[i], stops[i]
                    signal[i] = _ENTRY_CODE
            else:
                held += 1
                exit_reason = 0
                if not np.isnan(stop) and closes[i] < stop:
                    exit_reason = _TRAILING_STOP
                elif exits[i]:
                    exit_reason = _SIGNAL
                elif limit > 0 and held >= limit:
                    exit_reason = _MAX_HOLDING_DAYS
                if exit_reason != 0:
                    signal[i] = _EXIT_CODE
                    reason[i] = exit_reason
                    entry_day[i] = entered_on
                    holding[i] = held
                    open_now, held, entered_on, stop = False, 0, NO_DAY, np.nan
                    continue
                if not np.isnan(stops[i]):
                    stop = stops[i] if np.isnan(stop) else max(stop, stops[i])
            if open_now:
                in_position[i] = True
                holding[i] = held
                entry_day[i] = entered_on
                stop_level[i] = stop
        end_open[group], end_held[group], end_entry[group], end_stop[group] = open_now, held, entered_on, stop
    return in_position, holding, entry_day, signal, reason, stop_level, end_open, end_held, end_entry, end_stop


def decide_groups(
    offsets: np.ndarray,
    entries: np.ndarray,
    exits: np.ndarray,
    days: np.ndarray,
    stops: np.ndarray,
    closes: np.ndarray,
    max_holding_days: np.ndarray,
    start: GroupStates | None = None,
) -> tuple[Decisions, GroupStates]:
    """Run the machine over every group: rows offsets[g]:offsets[g + 1] are group g in date order.

    Per row: entries/exits (bool), days (int64 days since 1970-01-01), stops (stop_candidate) and
    closes (float64, NaN = none: no trailing stop). Per group: max_holding_days (int64, 0 = no
    limit) and the start state (flat when None). Returns the decisions per row and the state each
    group ended in.
    """
    groups = len(offsets) - 1
    start = start or GroupStates.flat(groups)
    result = _decide_kernel(
        np.ascontiguousarray(offsets, dtype=np.int64), np.ascontiguousarray(entries, dtype=np.bool_),
        np.ascontiguousarray(exits, dtype=np.bool_), np.ascontiguousarray(days, dtype=np.int64),
        np.ascontiguousarray(stops, dtype=np.float64), np.ascontiguousarray(closes, dtype=np.float64),
        np.ascontiguousarray(max_holding_days, dtype=np.int64),
        np.ascontiguousarray(start.in_position, dtype=np.bool_),
        np.ascontiguousarray(start.holding_days, dtype=np.int64),
        np.ascontiguousarray(start.entry_day, dtype=np.int64),
        np.ascontiguousarray(start.stop_level, dtype=np.float64),
    )
    return Decisions(*result[:6]), GroupStates(*result[6:])


def _days_from_dates(values: object) -> np.ndarray:
    """Dates (datetime64, Timestamps or datetime.date objects) as int64 days since 1970-01-01."""
    return pd.to_datetime(pd.Series(values)).to_numpy().astype("datetime64[D]").astype(np.int64)


def _day_from_date(value: object) -> int:
    return NO_DAY if value is None or pd.isna(value) else int(_days_from_dates([value])[0])


def _dates_from_days(days: np.ndarray) -> np.ndarray:
    """int64 days as datetime64[s] (NaT for NO_DAY), the unit pandas gives datetime64[D] input."""
    return np.where(days == NO_DAY, np.datetime64("NaT"), days.astype("datetime64[D]")).astype("datetime64[s]")


# --- pandas: one group (Spark's applyInPandas, unit tests) ---------------------------------------


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
    rows = len(candidates)
    has_stop = "stop_candidate" in candidates.columns
    no_stop = np.full(rows, np.nan)
    state = initial_state or PositionState()
    start = GroupStates(np.array([state.in_position]), np.array([state.holding_days]),
                        np.array([_day_from_date(state.entry_date)]), np.array([state.stop_level], dtype=float))
    decided, end = decide_groups(
        np.array([0, rows]),
        candidates["is_entry_candidate"].to_numpy(dtype=bool),
        candidates["is_exit_candidate"].to_numpy(dtype=bool),
        _days_from_dates(candidates["trade_date"].to_numpy()) if rows else np.zeros(0, dtype=np.int64),
        candidates["stop_candidate"].to_numpy(dtype=float) if has_stop else no_stop,
        candidates["close_price"].to_numpy(dtype=float) if has_stop else no_stop,
        np.array([max_holding_days]),
        start,
    )
    result = candidates.copy()
    result["in_position"] = decided.in_position
    result["holding_days"] = pd.array(decided.holding_days, dtype="Int64")
    result.loc[decided.holding_days < 0, "holding_days"] = pd.NA
    result["entry_date"] = pd.to_datetime(_dates_from_days(decided.entry_day))
    # object dtype keeps None for "no signal" (pandas would otherwise infer a string dtype with NaN).
    result["signal_type"] = pd.Series(np.array(SIGNAL_TYPES, dtype=object)[decided.signal_code],
                                      index=candidates.index, dtype=object)
    result["exit_reason"] = pd.Series(np.array(EXIT_REASONS, dtype=object)[decided.exit_reason_code],
                                      index=candidates.index, dtype=object)
    result["stop_level"] = decided.stop_level
    end_state = (PositionState(True, int(end.holding_days[0]), _dates_from_days(end.entry_day)[0],
                               float(end.stop_level[0]))
                 if end.in_position[0] else PositionState())
    return result, end_state


# --- Arrow: many groups at once (the DuckDB path of the dbt model) -------------------------------


def _group_offsets(table: pa.Table, group_columns: list[str]) -> np.ndarray:
    """Row offsets where each run of equal group keys starts, plus the row count."""
    rows = table.num_rows
    starts = np.zeros(rows, dtype=np.bool_)
    if rows:
        starts[0] = True
        for name in group_columns:
            column = table.column(name)
            starts[1:] |= pc.not_equal(column.slice(1), column.slice(0, rows - 1)).to_numpy()
    return np.append(np.flatnonzero(starts), rows).astype(np.int64)


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    column = column.cast(pa.float64())
    return (pc.fill_null(column, math.nan) if column.null_count else column).to_numpy()


def _flags(column: pa.ChunkedArray) -> np.ndarray:
    """Booleans, NULL as false."""
    return (pc.fill_null(column, False) if column.null_count else column).to_numpy()


def _labels(codes: np.ndarray, labels: tuple[str | None, ...]) -> pa.DictionaryArray:
    """Codes into ``labels`` (code 0 is NULL) as a dictionary column: no string per row is built."""
    return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes == 0),
                                          pa.array(["", *labels[1:]], pa.string()))


def _start_states(table: pa.Table, group_starts: np.ndarray) -> GroupStates:
    """Each group's start state from the stored_* columns of its first row (flat where NULL)."""
    if not set(STORED_STATE_COLUMNS) <= set(table.column_names):
        return GroupStates.flat(len(group_starts))
    first = table.select(list(STORED_STATE_COLUMNS)).take(pa.array(group_starts))
    in_position = _flags(first.column("stored_in_position"))
    entry = pc.fill_null(first.column("stored_entry_date").cast(pa.date32()).cast(pa.int32()).cast(pa.int64()), NO_DAY)
    return GroupStates(
        in_position,
        np.where(in_position, pc.fill_null(first.column("stored_holding_days").cast(pa.int64()), 0).to_numpy(), 0),
        np.where(in_position, entry.to_numpy(), NO_DAY),
        np.where(in_position, _floats(first.column("stored_stop_level")), math.nan),
    )


def _output_columns(decided: Decisions) -> dict[str, pa.Array]:
    """The decisions as Arrow columns, NULL where the mart has no value."""
    return {
        "in_position": pa.array(decided.in_position),
        "holding_days": pa.array(decided.holding_days, mask=decided.holding_days < 0),
        "entry_date": pa.array(decided.entry_day.astype(np.int32), mask=decided.entry_day == NO_DAY).cast(pa.date32()),
        "signal_type": _labels(decided.signal_code, SIGNAL_TYPES),
        "exit_reason": _labels(decided.exit_reason_code, EXIT_REASONS),
        "stop_level": pa.array(decided.stop_level, mask=np.isnan(decided.stop_level)),
    }


def decide_table(candidates: pa.Table, group_columns: list[str]) -> pa.Table:
    """Many groups at once over Arrow columns; rows must be sorted by (*group_columns, trade_date).

    Needs trade_date (date32), is_entry_candidate, is_exit_candidate, max_holding_days (one value
    per group), close_price and stop_candidate (NULL: no stop); a group whose first row has
    ``stored_in_position`` true continues from the STORED_STATE_COLUMNS of that row (the state of
    its last stored row), every other group starts flat. Returns the input columns except the
    stored_* ones, then OUTPUT_COLUMNS (NULL where flat or without a stop).
    """
    offsets = _group_offsets(candidates, group_columns)
    group_starts = offsets[:-1]
    decided, _ = decide_groups(
        offsets,
        _flags(candidates.column("is_entry_candidate")),
        _flags(candidates.column("is_exit_candidate")),
        candidates.column("trade_date").cast(pa.date32()).cast(pa.int32()).to_numpy().astype(np.int64),
        _floats(candidates.column("stop_candidate")),
        _floats(candidates.column("close_price")),
        pc.fill_null(candidates.column("max_holding_days").cast(pa.int64()), 0).to_numpy()[group_starts],
        _start_states(candidates, group_starts),
    )
    passed_through = candidates.drop_columns([c for c in STORED_STATE_COLUMNS if c in candidates.column_names])
    for name, column in _output_columns(decided).items():
        passed_through = passed_through.append_column(name, column)
    return passed_through
