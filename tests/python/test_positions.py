"""The position state machine (strategy_compute.positions.run_positions), called directly."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from strategy_compute.positions import EXIT, run_positions


def frame(entries: str, exits: str, closes: list[float] | None = None,
          stops: list[float] | None = None) -> pd.DataFrame:
    """Candidates from strings of '.'/'x' (x = candidate), one character per day."""
    days = pd.date_range("2024-01-01", periods=len(entries), freq="D")
    data = {
        "trade_date": days,
        "is_entry_candidate": [c == "x" for c in entries],
        "is_exit_candidate": [c == "x" for c in exits],
    }
    if stops is not None:
        data["close_price"] = closes
        data["stop_candidate"] = stops
    return pd.DataFrame(data)


def events(result: pd.DataFrame) -> list[tuple[int, str, str | None]]:
    rows = result.reset_index(drop=True)
    return [(i, rows.at[i, "signal_type"], rows.at[i, "exit_reason"]) for i in rows.index if rows.at[i, "signal_type"]]


def test_entries_and_exits_alternate():
    result, state = run_positions(frame("xx.x..x.", ".xxx.xx."))
    assert events(result) == [(0, "ENTRY_LONG", None), (1, EXIT, "signal"), (3, "ENTRY_LONG", None),
                              (5, EXIT, "signal"), (6, "ENTRY_LONG", None)]
    assert result["in_position"].tolist() == [True, False, False, True, True, False, True, True]
    assert state.in_position and state.holding_days == 1


def test_exit_candidate_on_the_entry_day_is_ignored_and_exit_day_does_not_reenter():
    result, _ = run_positions(frame("x.xx", "xx.."))
    assert events(result) == [(0, "ENTRY_LONG", None), (1, EXIT, "signal"), (2, "ENTRY_LONG", None)]


def test_max_holding_days_forces_the_exit():
    result, state = run_positions(frame("x......", "......."), max_holding_days=3)
    assert events(result) == [(0, "ENTRY_LONG", None), (3, EXIT, "max_holding_days")]
    assert result["holding_days"].tolist()[:4] == [0, 1, 2, 3]
    assert not state.in_position


def test_signal_exit_takes_precedence_over_max_holding_days():
    result, _ = run_positions(frame("x...", "...x"), max_holding_days=3)
    assert events(result)[-1] == (3, EXIT, "signal")


def test_trailing_stop_ratchets_up_and_exits_on_close_below():
    closes = [100, 105, 103, 108, 101, 110]
    stops = [95, 100, 98, 104, 99, 100]
    result, _ = run_positions(frame("x.....", "......", closes, stops))
    assert result["stop_level"].tolist()[:4] == [95, 100, 100, 104]
    assert events(result) == [(0, "ENTRY_LONG", None), (4, EXIT, "trailing_stop")]


def test_input_is_not_modified():
    candidates = frame("x.x", ".x.")
    before = candidates.copy()
    run_positions(candidates, max_holding_days=2)
    pd.testing.assert_frame_equal(candidates, before)


@pytest.mark.parametrize("split", [1, 5, 17, 39])
def test_continuing_from_state_equals_full_run(split):
    rng = np.random.default_rng(split)
    entries = "".join(rng.choice(["x", "."], 60, p=[0.2, 0.8]))
    exits = "".join(rng.choice(["x", "."], 60, p=[0.15, 0.85]))
    closes = list(100 + rng.normal(0, 2, 60).cumsum())
    stops = [c - 4 for c in closes]
    whole = frame(entries, exits, closes, stops)
    full, full_state = run_positions(whole, max_holding_days=7)
    head, head_state = run_positions(whole.iloc[:split], max_holding_days=7)
    tail, tail_state = run_positions(whole.iloc[split:], max_holding_days=7, initial_state=head_state)
    pd.testing.assert_frame_equal(pd.concat([head, tail]), full)
    assert tail_state == full_state


@pytest.mark.parametrize("split", [1, 2, 3, 5, 8, 11])
def test_continuing_from_a_stored_row_equals_a_full_run(split):
    from strategy_compute.positions import state_from_stored

    closes = [100, 105, 103, 108, 101, 110, 111, 99, 104, 106, 100, 98]
    stops = [95, 100, 98, 104, 99, 100, 101, 97, 99, 101, 96, 97]
    candidates = frame("x...x..x.x..", "..x.....x...", closes, stops)
    full, _ = run_positions(candidates, max_holding_days=3)
    last = full.iloc[split - 1]
    state = state_from_stored(last["in_position"], last["holding_days"], last["entry_date"], last["stop_level"])
    rest, _ = run_positions(candidates.iloc[split:], max_holding_days=3, initial_state=state)
    # The datetime unit pandas infers for entry_date depends on the values, not on the machine state.
    for result in (rest, full):
        result["entry_date"] = result["entry_date"].astype("datetime64[ns]")
    pd.testing.assert_frame_equal(rest, full.iloc[split:])


def reference_positions(entries, exits, closes, stops, max_holding_days):
    """The rules of docs/SIGNALS.md as a plain loop over Python values, independent of the kernel:
    (in_position, holding_days, entry row, signal, exit reason, stop level) per row, None when NULL."""
    rows, open_now, held, entered, stop = [], False, 0, None, math.nan
    for i, (entry, exit_, close, candidate) in enumerate(zip(entries, exits, closes, stops, strict=True)):
        signal = reason = None
        if not open_now:
            if entry:
                open_now, held, entered, stop, signal = True, 0, i, candidate, "ENTRY_LONG"
        else:
            held += 1
            if not math.isnan(stop) and close < stop:
                reason = "trailing_stop"
            elif exit_:
                reason = "signal"
            elif max_holding_days > 0 and held >= max_holding_days:
                reason = "max_holding_days"
            if reason:
                rows.append((False, held, entered, EXIT, reason, None))
                open_now, held, entered, stop = False, 0, None, math.nan
                continue
            if not math.isnan(candidate):
                stop = candidate if math.isnan(stop) else max(stop, candidate)
        rows.append((True, held, entered, signal, None, None if math.isnan(stop) else stop) if open_now
                    else (False, None, None, None, None, None))
    return rows


def decided_rows(result: pd.DataFrame) -> list[tuple]:
    first_day = result["trade_date"].iloc[0]
    return [
        (bool(row.in_position), None if pd.isna(row.holding_days) else int(row.holding_days),
         None if pd.isna(row.entry_date) else int((row.entry_date - first_day).days),
         row.signal_type, row.exit_reason, None if pd.isna(row.stop_level) else float(row.stop_level))
        for row in result.itertuples()
    ]


@pytest.mark.parametrize("seed", range(6))
def test_the_compiled_machine_equals_a_plain_loop(seed):
    rng = np.random.default_rng(seed)
    days = 400
    entries = "".join(rng.choice(["x", "."], days, p=[0.1, 0.9]))
    exits = "".join(rng.choice(["x", "."], days, p=[0.05, 0.95]))
    closes = list(100 * np.exp(rng.normal(0, 0.02, days).cumsum()))
    # Some days without a stop candidate (NaN), as before a chandelier's warm-up ends.
    stops = [math.nan if rng.random() < 0.1 else c * (1 - rng.uniform(0.01, 0.06)) for c in closes]
    limit = int(rng.choice([0, 5, 20]))
    result, _ = run_positions(frame(entries, exits, closes, stops), max_holding_days=limit)
    expected = reference_positions([c == "x" for c in entries], [c == "x" for c in exits], closes, stops, limit)
    assert decided_rows(result) == expected
    assert {"trailing_stop", "signal"} <= {row[4] for row in expected}


def test_many_groups_in_arrow_columns_equal_one_group_at_a_time():
    """decide_table (the DuckDB path): groups as runs of equal keys, a stored state on a group's
    first row, NULL stop candidates; equal to run_positions per group from the same state."""
    from strategy_compute.positions import PositionState, decide_table

    closes = [100, 105, 103, 108, 101, 110, 111, 99]
    stops = [95, 100, 98, 104, 99, 100, 101, 97]
    groups = {("a", "x"): frame("x...x..x", "..x.....", closes, stops),
              ("a", "y"): frame(".x.x.x.x", "x.x.x.x.", closes, stops),
              ("b", "x"): frame("xxxxxxxx", "........", closes, [math.nan] * 8),
              ("b", "y"): frame("x.......", "........", closes, stops)}
    states = {("a", "y"): PositionState(True, 2, np.datetime64("2023-12-29"), 99.0),
              ("b", "y"): PositionState(True, 7, np.datetime64("2023-12-20"), math.nan)}
    parts = []
    for (strategy, symbol), rows in groups.items():
        state = states.get((strategy, symbol))
        parts.append(rows.assign(
            strategy_id=strategy, symbol=symbol, max_holding_days=3 if symbol == "x" else 0,
            stop_candidate=rows["stop_candidate"].where(rows["stop_candidate"].notna(), None),
            stored_in_position=None if state is None else True,
            stored_holding_days=None if state is None else state.holding_days,
            stored_entry_date=None if state is None else pd.Timestamp(state.entry_date),
            stored_stop_level=None if state is None else state.stop_level,
        ))
    table = pa.Table.from_pandas(pd.concat(parts, ignore_index=True), preserve_index=False)
    table = table.set_column(table.column_names.index("trade_date"), "trade_date",
                             table.column("trade_date").cast(pa.date32()))
    result = decide_table(table, ["strategy_id", "symbol"]).to_pandas()
    assert "stored_in_position" not in result.columns
    for (strategy, symbol), rows in groups.items():
        expected, _ = run_positions(rows, max_holding_days=3 if symbol == "x" else 0,
                                    initial_state=states.get((strategy, symbol)))
        actual = result[(result["strategy_id"] == strategy) & (result["symbol"] == symbol)]
        expected["entry_date"] = expected["entry_date"].dt.date
        for column in ["in_position", "holding_days", "signal_type", "exit_reason", "stop_level", "entry_date"]:
            assert actual[column].astype(object).where(actual[column].notna(), None).tolist() == expected[
                column].astype(object).where(expected[column].notna(), None).tolist(), (strategy, symbol, column)
