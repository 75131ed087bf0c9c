"""Staging invariants, corporate-action adjustment and data-quality warnings, on real dbt builds.

Two warehouses are built once per module: the real sample with one bad row per rejection reason
added, and a warehouse holding only a user's own US-style CSV and no corporate actions.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from strategy_engine.dbt_invoke import run_dbt
from strategy_engine.loading import load_paths
from strategy_engine.paths import SAMPLE_MARKET_DATA
from strategy_engine.warehouse import connect

# symbol, trade_date, open, high, low, close, volume -> the reason the row must be rejected with
BAD_ROWS = [
    (("", "2021-06-01", 10, 11, 9, 10, 100), "missing_symbol"),
    (("BADCO", None, 10, 11, 9, 10, 100), "missing_trade_date"),
    (("BADCO", "2021-06-02", 10, 11, 9, None, 100), "missing_price"),
    (("BADCO", "2021-06-03", 0, 11, 9, 10, 100), "non_positive_price"),
    (("BADCO", "2021-06-04", 10, 9.5, 9, 10, 100), "high_below_open_or_close"),
    (("BADCO", "2021-06-07", 10, 11, 10.5, 10.8, 100), "low_above_open_or_close"),
    (("BADCO", "2021-06-08", 10, 11, 9, 10, -5), "negative_volume"),
    (("BADCO", "2099-01-01", 10, 11, 9, 10, 100), "future_date"),
    (("BADCO", "2021-06-09", 10, 11, 9, 10, 100), "duplicate_key_conflicting_values"),
    (("BADCO", "2021-06-09", 10, 11, 9, 10.5, 100), "duplicate_key_conflicting_values"),
    (("BADCO", "2021-06-10", 10, 11, 9, 10, 100), None),
    (("BADCO", "2021-06-10", 10, 11, 9, 10, 100), "duplicate_row"),
    # issue 14: an infinite, NaN or out-of-range number anywhere in OHLCV (1e400 loads as inf)
    (("BADCO", "2021-06-11", 10, math.inf, 9, 10, 100), "non_finite_value"),
    (("BADCO", "2021-06-14", -math.inf, 11, 9, 10, 100), "non_finite_value"),
    (("BADCO", "2021-06-15", 10, 11, 9, math.nan, 100), "non_finite_value"),
    (("BADCO", "2021-06-16", 10, 11, 9, 10, math.inf), "non_finite_value"),
    (("BADCO", "2021-06-17", 10, 11, 9, 10, 1e19), "non_finite_value"),
    (("BADCO", "2021-06-18", 10, 11, 9, 10, 100.5), "fractional_volume"),
]
DELETED_ROW = ("AXISBANK", "2019-05-15")

US_CSV = """symbol,date,open,high,low,close,volume
AAPL,2024-01-02,187.15,188.44,183.89,185.64,82488700
AAPL,2024-01-03,184.22,185.88,183.43,184.25,58414500
AAPL,2024-01-04,182.15,183.09,180.88,181.91,71983600
MSFT,2024-01-02,373.86,375.90,366.77,370.87,25258600
MSFT,2024-01-03,369.01,373.26,368.51,370.60,23083500
"""


def _build(database: Path, target: Path, select: list[str] | None = None) -> list[dict]:
    previous = os.environ.get("SE_DUCKDB_PATH")
    os.environ["SE_DUCKDB_PATH"] = str(database)
    try:
        outcome = run_dbt(["build", *(["--select", *select] if select else [])], target_path=str(target))
    finally:
        if previous is None:
            os.environ.pop("SE_DUCKDB_PATH", None)
        else:
            os.environ["SE_DUCKDB_PATH"] = previous
    assert outcome.success, (outcome.error, outcome.failures)
    return outcome.results


@pytest.fixture(scope="module")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[duckdb.DuckDBPyConnection, list[dict]]]:
    root = tmp_path_factory.mktemp("sample_build")
    database = root / "warehouse.duckdb"
    with connect(database) as con:
        load_paths(con, [SAMPLE_MARKET_DATA])
        con.execute("delete from trading_data.market_data where symbol = ? and trade_date = ?", list(DELETED_ROW))
        for row, _ in BAD_ROWS:
            con.execute(
                "insert into trading_data.market_data (symbol, trade_date, open, high, low, close, volume, "
                "exchange, source_file, loaded_at) values (?, ?, ?, ?, ?, ?, ?, 'NSE', 'bad.csv', current_timestamp)",
                list(row),
            )
    results = _build(database, root / "target", ["+data_quality_warnings", "+market_data_rejected"])
    with duckdb.connect(str(database), read_only=True) as con:
        yield con, results


def test_every_bad_row_is_rejected_with_its_reason(sample_build):
    con, _ = sample_build
    rejected = sorted(
        (symbol or "", str(day) if day else "", reason)
        for symbol, day, reason in con.execute(
            "select symbol, trade_date, reject_reason from strategy_data.market_data_rejected"
        ).fetchall()
    )
    expected = sorted((row[0], row[1] or "", reason) for row, reason in BAD_ROWS if reason)
    assert rejected == expected
    staged_badco = con.execute("select trade_date from staging.stg_market_data where symbol = 'BADCO'").fetchall()
    assert [str(day) for (day,) in staged_badco] == ["2021-06-10"]


def test_staged_plus_rejected_equals_input(sample_build):
    con, results = sample_build
    source, staged, rejected = con.execute("""
        select
            (select count(*) from trading_data.market_data),
            (select count(*) from staging.stg_market_data),
            (select count(*) from strategy_data.market_data_rejected)
    """).fetchone()
    assert source == 63446 - 1 + len(BAD_ROWS)
    assert staged + rejected == source and rejected == sum(1 for _, reason in BAD_ROWS if reason)
    test = [r for r in results if "assert_staged_plus_rejected_equals_input" in r["unique_id"]]
    assert test and test[0]["status"] == "pass"


def _adjusted_returns(con, symbol: str) -> dict[str, float]:
    rows = con.execute("""
        select trade_date, close / lag(close) over (order by trade_date) - 1,
               raw_close / lag(raw_close) over (order by trade_date) - 1
        from intermediate.int_market_data_adjusted where symbol = ? order by trade_date
    """, [symbol]).fetchall()
    return {str(day): (adjusted, raw) for day, adjusted, raw in rows}


def test_eichermot_split_leaves_no_crash_in_adjusted_prices(sample_build):
    con, _ = sample_build
    returns = _adjusted_returns(con, "EICHERMOT")
    adjusted, raw = returns["2020-08-24"]
    assert raw < -0.85  # the 1:10 split as traded
    assert abs(adjusted) < 0.10
    assert min(value for value, _ in returns.values() if value is not None) > -0.5
    warnings = con.execute(
        "select count(*) from strategy_data.data_quality_warnings where symbol = 'EICHERMOT' "
        "and warning_type = 'large_move'"
    ).fetchone()[0]
    assert warnings == 0


def test_axisbank_real_crash_stays_and_is_a_warning(sample_build):
    con, _ = sample_build
    adjusted, raw = _adjusted_returns(con, "AXISBANK")["2020-03-23"]
    assert -0.30 < adjusted < -0.26 and adjusted == pytest.approx(raw)
    detail = con.execute(
        "select detail from strategy_data.data_quality_warnings where symbol = 'AXISBANK' "
        "and trade_date = '2020-03-23' and warning_type = 'large_move'"
    ).fetchone()
    assert detail and "-27.9%" in detail[0]


def test_calendar_findings_on_the_real_sample(sample_build):
    con, results = sample_build
    findings = {
        (warning_type, symbol, str(day))
        for warning_type, symbol, day in con.execute(
            "select warning_type, symbol, trade_date from strategy_data.data_quality_warnings "
            "where warning_type not in ('large_move', 'symbol_not_in_universe')"
        ).fetchall()
    }
    # Issue 15: the special sessions (Muhurat trading, a Budget Saturday) are in the calendar seed,
    # which the runner reads too, so their rows are no longer flagged as off-calendar
    assert ("rows_on_non_calendar_day", None, "2020-11-14") not in findings  # Muhurat trading
    assert ("rows_on_non_calendar_day", None, "2020-02-01") not in findings  # Budget Saturday
    assert ("calendar_day_without_rows", None, "2018-01-02") in findings
    assert ("calendar_day_without_rows", None, "2021-08-10") in findings
    assert ("symbol_missing_on_session", *DELETED_ROW) in findings
    # the rows of special sessions are kept
    muhurat = con.execute("select count(*) from staging.stg_market_data where trade_date = '2020-11-14'").fetchone()
    assert muhurat == (50,)
    unknown = con.execute(
        "select symbol from strategy_data.data_quality_warnings where warning_type = 'symbol_not_in_universe'"
    ).fetchall()
    assert unknown == [("BADCO",)]
    warn_test = [r for r in results if "warn_data_quality_findings" in r["unique_id"]]
    assert warn_test and warn_test[0]["status"] == "warn"


def test_users_own_us_csv_without_corporate_actions_builds_with_warnings(tmp_path):
    database = tmp_path / "warehouse.duckdb"
    csv_file = tmp_path / "us_prices.csv"
    csv_file.write_text(US_CSV)
    with connect(database) as con:
        load_paths(con, [csv_file])
        assert con.execute("select count(*) from trading_data.corporate_actions").fetchone() == (0,)
    results = _build(database, tmp_path / "target")
    assert not [r for r in results if r["status"] in {"error", "fail", "runtime error"}]
    with duckdb.connect(str(database), read_only=True) as con:
        staged = con.execute("select count(*), min(adjustment_factor), max(adjustment_factor) "
                             "from intermediate.int_market_data_adjusted").fetchone()
        warnings = con.execute(
            "select warning_type, symbol from strategy_data.data_quality_warnings order by 1, 2"
        ).fetchall()
    assert staged == (5, 1.0, 1.0)
    # no exchange given: not checked against the NSE calendar; unknown symbols are only warnings
    assert warnings == [("symbol_not_in_universe", "AAPL"), ("symbol_not_in_universe", "MSFT")]


def test_demo_summary_lists_every_mart_latest_date_rejects_and_warnings(sample_build):
    from strategy_engine.demo import summary_lines

    con, _ = sample_build
    text = "\n".join(summary_lines(con))
    assert "intermediate.int_market_data_adjusted" in text
    for mart in ("strategy_data.market_data_rejected", "strategy_data.data_quality_warnings"):
        assert mart in text
    assert "latest trade date 2022-02-" in text
    rejected = sum(1 for _, reason in BAD_ROWS if reason)
    assert f"Rejected rows: {rejected} (" in text and "duplicate_key_conflicting_values 2" in text
    assert "Data-quality warnings: " in text and "large_move" in text
