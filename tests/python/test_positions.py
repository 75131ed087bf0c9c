"""The position state machine (strategy_engine.positions.run_positions), called directly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from strategy_engine.positions import EXIT, run_positions


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
    from strategy_engine.positions import state_from_stored

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


def test_many_groups_at_once_equal_one_group_at_a_time():
    from strategy_engine.positions import PositionState, run_positions_by_group

    closes = [100, 105, 103, 108, 101, 110, 111, 99]
    stops = [95, 100, 98, 104, 99, 100, 101, 97]
    groups = {("a", "x"): frame("x...x..x", "..x.....", closes, stops),
              ("a", "y"): frame(".x.x.x.x", "x.x.x.x.", closes, stops),
              ("b", "x"): frame("xxxxxxxx", "........", closes, stops)}
    states = {("a", "y"): PositionState(True, 2, np.datetime64("2023-12-29"), 99.0)}
    parts = []
    for (strategy, symbol), rows in groups.items():
        rows = rows.assign(strategy_id=strategy, symbol=symbol, max_holding_days=3 if symbol == "x" else 0)
        parts.append(rows)
    together = pd.concat(parts[::-1], ignore_index=True)
    result = run_positions_by_group(together, ["strategy_id", "symbol"], states)
    for (strategy, symbol), rows in groups.items():
        expected, _ = run_positions(rows, max_holding_days=3 if symbol == "x" else 0,
                                    initial_state=states.get((strategy, symbol)))
        actual = result[(result["strategy_id"] == strategy) & (result["symbol"] == symbol)]
        for column in ["in_position", "holding_days", "signal_type", "exit_reason", "stop_level", "entry_date"]:
            assert actual[column].astype(object).where(actual[column].notna(), None).tolist() == expected[
                column].astype(object).where(expected[column].notna(), None).tolist(), (strategy, symbol, column)
