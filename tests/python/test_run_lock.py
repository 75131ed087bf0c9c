"""Issue 14: one run at a time, always recorded; runs killed with SIGKILL leave marts a later run
repairs and an ops.runs history that says what happened (real dbt, real processes)."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from strategy_engine import cli
from strategy_engine.ops import default_ops_path
from strategy_engine.run_lock import EXIT_BUSY, RunLockBusy, run_lock

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mart_fingerprint import fingerprint  # noqa: E402

SYMBOLS = ["INFY", "TCS", "RELIANCE"]
LAST_DAY = date(2022, 3, 2)
COMMAND = Path(sys.executable).with_name("strategy-engine")
# Points of a daily run at which it is killed: parsing, the signal step, the backtest step.
KILL_POINTS = [
    "[3/5] dbt parse",
    "START sql incremental model strategy_data.indicators",
    "START sql incremental model strategy_data.equity_curve",
]


def _runs(tmp_path: Path) -> list[tuple[str, str, str]]:
    with duckdb.connect(str(default_ops_path(tmp_path / "warehouse.duckdb")), read_only=True) as con:
        return con.execute("select run_id, status, message from ops.runs order by started_at").fetchall()


HOLDER = """
import sys, time
from strategy_engine.run_lock import run_lock
with run_lock("holder-run", 0):
    print("held", flush=True)
    time.sleep(600)
"""


def _hold_lock() -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_lock_names_its_holder_and_dies_with_it(runner_env: Path) -> None:
    holder = _hold_lock()
    try:
        with pytest.raises(RunLockBusy) as busy, run_lock("second", 0):
            pass
        assert busy.value.holder["run_id"] == "holder-run" and busy.value.holder["pid"] == holder.pid
        assert "another run holds the warehouse (run_id holder-run" in str(busy.value)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    with run_lock("third", 0):  # the kernel released the killed holder's lock
        pass


def test_a_second_run_is_recorded_alerted_and_exits_75(runner_env: Path, capsys: pytest.CaptureFixture) -> None:
    holder = _hold_lock()
    try:
        code = cli.main(["run", "--date", "2022-02-01", "--skip-validation"])
        waited = cli.main(["run", "--date", "2022-02-01", "--skip-validation", "--wait-for-lock", "0.5"])
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    assert code == EXIT_BUSY and waited == EXIT_BUSY
    err = capsys.readouterr().err
    message_lines = [line for line in err.splitlines() if line.startswith("strategy-engine run:")]
    assert len(message_lines) == 2 and "holder-run" in message_lines[0] and "waited 1 s" in message_lines[1]
    statuses = [status for _, status, _ in _runs(runner_env)]
    assert statuses == ["skipped_concurrent", "skipped_concurrent"]
    outbox = (runner_env / "outbox" / "alerts-2022-02-01.jsonl").read_text().splitlines()
    assert [json.loads(line)["kind"] for line in outbox] == ["run_skipped_concurrent"]  # sent once a day
    assert not (runner_env / "warehouse.duckdb").exists()  # nothing was built


def _write_prices(path: Path, days: list[date]) -> None:
    lines = ["symbol,date,open,high,low,close,volume"]
    for i, day in enumerate(days):
        for j, symbol in enumerate(SYMBOLS):
            price = 1000 + 50 * j + 40 * math.sin((i + 7 * j) / 6) + i
            lines.append(f"{symbol},{day},{price:.2f},{price + 6:.2f},{price - 6:.2f},{price + 2:.2f},{100000 + i}")
    path.write_text("\n".join(lines) + "\n")


def _sessions(count: int) -> list[date]:
    days, current = [], LAST_DAY
    while len(days) < count:
        if current.weekday() < 5:
            days.append(current)
        current -= timedelta(days=1)
    return sorted(days)


def _run_and_kill_at(day: date, marker: str, env: dict[str, str]) -> None:
    job = subprocess.Popen([str(COMMAND), "run", "--date", str(day), "--skip-validation", "--force"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    deadline = time.monotonic() + 240
    try:
        for line in job.stdout:
            if marker in line:
                job.send_signal(signal.SIGKILL)
                break
            assert time.monotonic() < deadline, f"no {marker!r} within the time bound"
        else:
            pytest.fail(f"the run ended before {marker!r}")
    finally:
        job.kill()
        job.wait(timeout=60)
    assert job.returncode == -signal.SIGKILL


def _fingerprint(database: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(database), read_only=True) as con:
        return fingerprint(con)


def test_runs_killed_at_several_points_leave_marts_the_next_run_repairs(
        runner_env: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    days = _sessions(45)
    # the reference: every day loaded, one clean run
    clean = tmp_path_factory.mktemp("clean")
    monkeypatch.setenv("SE_DUCKDB_PATH", str(clean / "warehouse.duckdb"))
    monkeypatch.setenv("DBT_TARGET_PATH", str(clean / "target"))
    _write_prices(clean / "all.csv", days)
    assert cli.main(["load", str(clean / "all.csv")]) == 0
    assert cli.main(["run", "--date", str(LAST_DAY), "--skip-validation"]) == 0
    expected = _fingerprint(clean / "warehouse.duckdb")

    # the same days, the last one as a daily run killed three times before it completes
    monkeypatch.setenv("SE_DUCKDB_PATH", str(runner_env / "warehouse.duckdb"))
    monkeypatch.setenv("DBT_TARGET_PATH", str(runner_env / "target"))
    _write_prices(runner_env / "history.csv", days[:-1])
    _write_prices(runner_env / "all.csv", days)
    assert cli.main(["load", str(runner_env / "history.csv")]) == 0
    assert cli.main(["run", "--date", str(days[-2]), "--skip-validation", "--force"]) == 0
    assert cli.main(["load", str(runner_env / "all.csv")]) == 0
    for marker in KILL_POINTS:
        _run_and_kill_at(LAST_DAY, marker, {**os.environ, "PYTHONUNBUFFERED": "1"})
    # each killed run found its killed predecessor at its start; the last one never recorded an end
    runs = _runs(runner_env)
    assert [status for _, status, _ in runs[:3]] == ["success", "abandoned", "abandoned"]
    assert runs[3][1] in {"running", "success"}  # 'success' so far: it was killed after the signal step
    assert cli.main(["run", "--date", str(LAST_DAY), "--skip-validation"]) == 0

    runs = _runs(runner_env)
    assert [status for _, status, _ in runs] == ["success", "abandoned", "abandoned", "abandoned", "success"]
    found_by = [message.rsplit("found by run ", 1)[-1] for _, status, message in runs if status == "abandoned"]
    assert found_by == [runs[2][0], runs[3][0], runs[4][0]]  # each found by the run after it
    actual = _fingerprint(runner_env / "warehouse.duckdb")
    assert actual.keys() == expected.keys()
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(actual[name], frame, check_exact=False, rtol=1e-9, obj=name)


def test_a_new_ops_store_starts_with_the_history_the_warehouse_kept(runner_env: Path) -> None:
    from strategy_engine import ops

    warehouse = runner_env / "warehouse.duckdb"
    old = ops.RunRecord("old-run", "run", date(2022, 2, 1), "local", status="success", finished_at=ops.utc_now())
    ops.record_run(old, path=warehouse)  # the layout before issue 14: ops tables in the warehouse
    assert not default_ops_path(warehouse).exists()
    last = ops.last_run("run", "success")
    assert last is not None and last.run_id == "old-run"
    assert default_ops_path(warehouse).exists()


def test_an_existing_integer_volume_column_is_widened_to_hold_numbers_as_loaded(runner_env: Path) -> None:
    from strategy_engine.warehouse import connect, ensure_source_tables

    with connect() as con:
        con.execute("create schema trading_data")
        con.execute("create table trading_data.market_data (symbol varchar, trade_date date, open double, "
                    "high double, low double, close double, volume bigint, value double, trades bigint, "
                    "series varchar, exchange varchar, source_file varchar, loaded_at timestamp)")
        con.execute("insert into trading_data.market_data (symbol, trade_date, volume) "
                    "values ('INFY', '2022-02-01', 12)")
        ensure_source_tables(con)
        kind = con.execute("select data_type from information_schema.columns where table_name = 'market_data' "
                           "and column_name = 'volume'").fetchall()
        assert kind == [("DOUBLE",)]
        assert con.execute("select volume from trading_data.market_data").fetchall() == [(12.0,)]
