"""The published snapshot readers serve on DuckDB: what it holds, the atomic swap, its absence."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from strategy_engine import marts, ops
from strategy_engine.marts import MartReader, MissingMart, NoPublishedData
from strategy_engine.paths import published_path
from strategy_engine.published import NO_SNAPSHOT, publish, publish_after_build


@pytest.fixture()
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("SE_DUCKDB_PATH", str(path))
    monkeypatch.delenv("SE_PUBLISHED_DUCKDB_PATH", raising=False)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema intermediate; create schema strategy_data")
        con.execute("create table intermediate.int_market_data_adjusted as "
                    "select 'INFY' as symbol, date '2022-02-01' as trade_date")
        con.execute(
            "create table strategy_data.signals as select 's1' as signal_id, 'sma_cross' as strategy_id, "
            "'p1' as param_set_id, 'INFY' as symbol, date '2022-02-01' as signal_date, 'ENTRY_LONG' as signal_type"
        )
        con.execute(
            "create table strategy_data.equity_curve as select 'sma_cross' as strategy_id, 'p1' as param_set_id, "
            "s.symbol, date '2022-01-01' + cast(d.range as integer) as trade_date, 1.0 + d.range / 100 as equity "
            "from (values ('INFY'), ('TCS'), ('__PORTFOLIO__')) as s(symbol), range(30) as d"
        )
        con.execute("create table strategy_data.positions as select 1 as not_for_readers")
    return path


def _signal_ids(reader: MartReader) -> list[str]:
    return [row["signal_id"] for row in marts.signals_on(reader, date(2022, 2, 1)).dicts()]


def test_publish_copies_what_readers_read_and_only_portfolio_equity(warehouse: Path) -> None:
    publication = publish("run-1", date(2022, 2, 1))
    assert publication.path == published_path() == warehouse.with_name("warehouse_published.duckdb")
    assert publication.rows == {"strategy_data.signals": 1, "strategy_data.equity_curve": 30}
    assert not list(warehouse.parent.glob("*.tmp*"))
    with MartReader("local", published=True) as reader:
        assert reader.has("strategy_data", "signals") and not reader.has("strategy_data", "positions")
        assert {row[0] for row in marts.portfolio_equity(reader, date(2022, 3, 1)).rows} == {"sma_cross/p1"}
        assert marts.latest_trade_date(reader) == date(2022, 2, 1)
        info = marts.publication(reader)
        assert (info["run_id"], info["run_date"]) == ("run-1", date(2022, 2, 1))
        with pytest.raises(MissingMart, match="strategy_data.performance does not exist"):
            marts.performance_for(reader, None)


def test_a_reader_keeps_its_snapshot_and_the_next_reader_sees_the_new_one(warehouse: Path) -> None:
    publish()
    first = MartReader("local", published=True)
    assert _signal_ids(first) == ["s1"]
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update strategy_data.signals set signal_id = 's2'")
    publish()
    # The first reader is still open: a plain duckdb.connect(path) would reuse its database
    # instance and serve the replaced file to every later reader.
    with MartReader("local", published=True) as second:
        assert _signal_ids(second) == ["s2"]
    assert _signal_ids(first) == ["s1"]
    first.close()
    # The live reader (the runner's) sees the warehouse as it is.
    assert _signal_ids(MartReader("local")) == ["s2"]


def test_without_a_snapshot_readers_get_no_published_data(warehouse: Path) -> None:
    with pytest.raises(NoPublishedData, match=NO_SNAPSHOT) as raised, MartReader("local", published=True) as reader:
        marts.signals_on(reader, date(2022, 2, 1))
    assert isinstance(raised.value, MissingMart)
    assert NO_SNAPSHOT == "no published data yet; run strategy-engine run"


def test_only_a_successful_duckdb_run_publishes_and_a_failed_publish_fails_the_run(
        warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def run(status: str) -> ops.RunRecord:
        return ops.RunRecord("run-x", "run", date(2022, 2, 1), "local", status=status)

    publish_after_build("local", run("failed"))
    publish_after_build("prod", run("success"))  # BigQuery: readers query BigQuery
    assert not published_path().exists()
    bigquery_reader = MartReader("prod", published=True)
    assert not bigquery_reader.published and bigquery_reader._relation("strategy_data", "signals").startswith("`")
    succeeded = run("success")
    publish_after_build("local", succeeded)
    assert published_path().exists() and succeeded.status == "success"

    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("SE_PUBLISHED_DUCKDB_PATH", str(tmp_path / "a-file" / "published.duckdb"))
    broken = run("success")
    publish_after_build("local", broken)
    assert broken.status == "failed" and broken.failures[-1]["node"] == "publish"


def test_demo_publishes_after_its_build(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`strategy-engine demo` builds with dbt directly, not through the daily job: it publishes too."""
    from types import SimpleNamespace

    from strategy_engine import daily_run, demo

    monkeypatch.setattr(demo, "load_paths", lambda con, paths: SimpleNamespace(summary=lambda: "loaded"))
    monkeypatch.setattr(demo, "run_dbt", lambda args: SimpleNamespace(success=True, error=None, failures=[]))
    served: list[bool] = []
    monkeypatch.setattr(daily_run, "show_demo_outputs", lambda: served.append(published_path().exists()))
    assert demo.run_demo() == 0
    assert served == [True]  # published before the report is written from it


def test_publish_removes_what_a_killed_publisher_left_behind(warehouse: Path) -> None:
    import subprocess
    import sys

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          timeout=30, check=True)
    dead = published_path().with_name(f"{published_path().name}.{gone.stdout.strip()}.tmp")
    alive = published_path().with_name(f"{published_path().name}.1.tmp")  # pid 1 is always running
    for leftover in (dead, dead.with_name(dead.name + ".wal"), alive):
        leftover.write_text("partial")
    publish()
    assert not dead.exists() and not dead.with_name(dead.name + ".wal").exists()
    assert alive.exists()  # a publisher that may still be writing is left alone


def test_publish_waits_for_a_reader_that_holds_the_warehouse_for_a_moment(warehouse: Path) -> None:
    import subprocess
    import sys

    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
         "time.sleep(1.5); c.close()", str(warehouse)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert publish().rows["strategy_data.signals"] == 1
    finally:
        holder.kill()
        holder.wait(timeout=30)
