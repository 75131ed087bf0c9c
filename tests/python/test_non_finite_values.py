"""Issue 14: an infinite or NaN number in the input is rejected with a reason and never reaches a
mart; the all_finite data tests fail when a mart holds one (real dbt on a small warehouse)."""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

import duckdb

from strategy_engine import cli
from strategy_engine.dbt_invoke import run_dbt

SYMBOLS = ["INFY", "TCS", "RELIANCE"]
SESSIONS = 40
LAST_DAY = date(2022, 3, 2)


def _weekdays_before(day: date, count: int) -> list[date]:
    days: list[date] = []
    current = day - timedelta(days=1)
    while len(days) < count:
        if current.weekday() < 5:
            days.append(current)
        current -= timedelta(days=1)
    return sorted(days)


def _float_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    return [name for (name,) in con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
        "and data_type in ('DOUBLE', 'FLOAT')", [schema, table]).fetchall()]


def test_infinite_and_nan_prices_are_rejected_and_never_reach_a_mart(runner_env: Path) -> None:
    history = runner_env / "history.csv"
    lines = ["symbol,date,open,high,low,close,volume"]
    for i, day in enumerate(_weekdays_before(LAST_DAY, SESSIONS)):
        for j, symbol in enumerate(SYMBOLS):
            price = 1000 + 50 * j + 3 * math.sin(i + j) + i
            lines.append(f"{symbol},{day},{price:.2f},{price + 5:.2f},{price - 5:.2f},{price + 1:.2f},{100000 + i}")
    history.write_text("\n".join(lines) + "\n")
    assert cli.main(["load", str(history)]) == 0
    # the reproduction (inf), an overflow that reads as inf (1e400), a NaN close with an
    # infinite volume
    new_day = runner_env / "new_day.csv"
    new_day.write_text(
        "symbol,date,open,high,low,close,volume\n"
        f"INFY,{LAST_DAY},1700,inf,1690,1710,1000000\n"
        f"TCS,{LAST_DAY},1700,1e400,1690,1710,1000000\n"
        f"RELIANCE,{LAST_DAY},1700,1720,1690,nan,inf\n"
    )
    assert cli.main(["load", str(new_day)]) == 0
    assert cli.main(["run", "--date", str(LAST_DAY), "--skip-validation"]) == 0

    with duckdb.connect(str(runner_env / "warehouse.duckdb"), read_only=True) as con:
        rejected = con.execute(
            "select symbol, reject_reason from strategy_data.market_data_rejected order by symbol").fetchall()
        assert rejected == [("INFY", "non_finite_value"), ("RELIANCE", "non_finite_value"),
                            ("TCS", "non_finite_value")]
        staged_last = con.execute(
            "select count(*) from staging.stg_market_data where trade_date = ?", [LAST_DAY]).fetchone()
        assert staged_last == (0,)
        marts = [name for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'strategy_data' "
            "and table_name != 'market_data_rejected'").fetchall()]
        assert {"indicators", "path_indicators", "signals", "equity_curve", "performance"} <= set(marts)
        for mart in marts:
            columns = _float_columns(con, "strategy_data", mart)
            if not columns:
                continue
            condition = " or ".join(f'not isfinite("{column}")' for column in columns)
            assert con.execute(f"select count(*) from strategy_data.{mart} where {condition}").fetchone() == (0,), mart
    with duckdb.connect(str(runner_env / "warehouse_ops.duckdb"), read_only=True) as con:
        runs = con.execute("select status, failures from ops.runs where command = 'run'").fetchall()
    assert runs and runs[-1][0] == "success", runs

    # A daily run checks all_finite on the rows it wrote, inside its one left-out-checks query: an
    # infinity stamped as this run's row (an hour ahead stands in for the coming run) fails it.
    with duckdb.connect(str(runner_env / "warehouse.duckdb")) as con:
        con.execute("update strategy_data.indicators set atr_14 = 'inf'::double, "
                    "computed_at = now() + interval 1 hour where symbol = 'INFY' and trade_date = ("
                    "select max(trade_date) from strategy_data.indicators where symbol = 'INFY')")
    assert cli.main(["run", "--date", str(LAST_DAY), "--skip-validation"]) == 1
    with duckdb.connect(str(runner_env / "warehouse_ops.duckdb"), read_only=True) as con:
        failures = con.execute("select failures from ops.runs order by started_at desc limit 1").fetchone()[0]
    assert "assert_signal_path_rows_pass_left_out_checks" in failures, failures
    compiled = next((runner_env / "target").rglob("assert_signal_path_rows_pass_left_out_checks.sql")).read_text()
    assert "'all_finite' as check_name" in compiled and "isfinite(\"atr_14\")" in compiled


def test_all_finite_fails_when_a_mart_holds_an_infinity(runner_env: Path) -> None:
    csv = runner_env / "prices.csv"
    lines = ["symbol,date,open,high,low,close,volume"]
    for i, day in enumerate(_weekdays_before(LAST_DAY, 25)):
        lines.append(f"INFY,{day},{100 + i},{102 + i},{98 + i},{101 + i},{1000 + i}")
    csv.write_text("\n".join(lines) + "\n")
    assert cli.main(["load", str(csv)]) == 0
    built = run_dbt(["build", "--select", "+indicators", "--exclude-resource-type", "unit_test",
                     "--indirect-selection", "cautious"])
    assert built.success, built.failures
    with duckdb.connect(str(runner_env / "warehouse.duckdb")) as con:
        # a future run stamp: the generic tests check the rows of the current run (dbt_project.yml)
        con.execute("update strategy_data.indicators set sma_20 = 'inf'::double, rsi_14 = 'nan'::double, "
                    "computed_at = timestamp '2100-01-01' "
                    "where trade_date = (select max(trade_date) from strategy_data.indicators)")
    tested = run_dbt(["test", "--select", "indicators,test_name:all_finite"])
    assert not tested.success
    failures = [r for r in tested.failures if "all_finite_indicators" in r["unique_id"]]
    assert failures and failures[0]["failures"] == 1


def test_finite_or_null_keeps_numbers_and_turns_infinity_and_nan_into_null(runner_env: Path) -> None:
    """performance's ratios go through finite_or_null: a two-day window of a new year once gave
    alpha = inf (beta -4,590 raised to the 252nd power) and failed a daily run's all_finite check."""
    from dbt.cli.main import dbtRunner

    from strategy_engine.paths import PROFILES_DIR, PROJECT_DIR

    sql = ("select {{ finite_or_null('x') }} as kept from (select unnest(["
           "cast(1.5 as double), cast('inf' as double), cast('-inf' as double), cast('nan' as double), "
           "power(cast(-4590.0 as double), 252)]) as x)")
    shown = dbtRunner().invoke(["show", "--inline", sql, "--project-dir", str(PROJECT_DIR), "--profiles-dir",
                                str(PROFILES_DIR), "--target-path", str(runner_env / "target_show"), "--quiet"])
    assert shown.success, shown.exception
    assert [row[0] for row in shown.result.results[0].agate_table.rows] == [1.5, None, None, None, None]
