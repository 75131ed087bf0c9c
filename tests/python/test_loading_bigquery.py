"""`strategy-engine load --target dev|prod`: load job into a staging table, then one MERGE.

A fake client records every call (no network); the last test runs the same code against the
crucible BigQuery emulator (its resumable-upload load jobs and MERGE) when .venv-emulator exists.
"""

from __future__ import annotations

import csv
import io
import json
import re
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import sqlglot
import yaml
from sqlglot import exp

from strategy_engine import cli
from strategy_engine.loading import LoadError
from strategy_engine.loading.bigquery import (
    ACTION_STAGING_SCHEMA,
    MARKET_STAGING_SCHEMA,
    BigQueryTarget,
    frame_to_csv,
    load_paths_bigquery,
    read_target,
    source_table_ddl,
)

PROJECT_DIR = Path(__file__).resolve().parents[2]
CRUCIBLE = PROJECT_DIR / ".venv-emulator" / "bin" / "crucible"
TARGET = BigQueryTarget("prod", "proj", "strategy_engine", "asia-south1", "oauth", None, 5_000_000)
HEADER = "symbol,date,open,high,low,close,volume,value\n"


class FakeJob:
    def __init__(self, rows: list[tuple] | None = None, affected: int | None = None) -> None:
        self.rows = rows or []
        self.num_dml_affected_rows = affected

    def result(self) -> list[tuple]:
        return self.rows


class FakeClient:
    """Records load jobs, queries and deletes; answers the classification SELECT with `stored` keys."""

    def __init__(self, stored: dict[tuple[str, str], bool] | None = None) -> None:
        self.stored = stored or {}
        self.loads: list[SimpleNamespace] = []
        self.queries: list[SimpleNamespace] = []
        self.deleted: list[str] = []

    def load_table_from_file(self, file, destination, job_config, location):  # noqa: ANN001, ANN201
        self.loads.append(SimpleNamespace(data=file.read().decode(), table=destination, config=job_config,
                                          location=location))
        return FakeJob()

    def query(self, sql, job_config, location):  # noqa: ANN001, ANN201
        self.queries.append(SimpleNamespace(sql=sql, config=job_config, location=location))
        if sql.startswith("select incoming.symbol"):
            return FakeJob([(symbol, date.fromisoformat(day), same) for (symbol, day), same in self.stored.items()])
        if sql.startswith("merge"):
            return FakeJob(affected=7)
        return FakeJob()

    def delete_table(self, table, not_found_ok):  # noqa: ANN001, ANN201
        assert not_found_ok
        self.deleted.append(table)


def _csv(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body)
    return path


def _statements(client: FakeClient, prefix: str) -> list[str]:
    return [q.sql for q in client.queries if q.sql.startswith(prefix)]


def test_load_job_schema_disposition_and_csv(tmp_path: Path) -> None:
    path = _csv(tmp_path, "day.csv", "AAA,2024-01-02,10,11,9,10.5,1000,12345678901234.5\n"
                                     "BBB,2024-01-02,0.0000001,0.2,0.0000001,0.1,5,\n")
    client = FakeClient()
    report = load_paths_bigquery([path], "auto", TARGET, client)
    assert (report.inserted, report.replaced, report.unchanged) == (2, 0, 0)

    [load] = client.loads
    assert re.fullmatch(r"proj\.trading_data\._load_market_data_[0-9a-f]{12}", load.table)
    config = load.config
    assert [(f.name, f.field_type, f.mode) for f in config.schema] == [
        (name, kind, "NULLABLE") for name, kind in MARKET_STAGING_SCHEMA
    ]
    assert config.write_disposition == "WRITE_TRUNCATE"
    assert config.create_disposition == "CREATE_IF_NEEDED"
    assert config.source_format == "CSV"
    assert config.labels == {"app": "strategy_engine", "job": "load"}
    assert load.location == "asia-south1"
    rows = list(csv.reader(io.StringIO(load.data)))
    # positional floats that read back exactly; a missing value is an empty (NULL) cell
    assert rows == [
        ["AAA", "2024-01-02", "10", "11", "9", "10.5", "1000", "12345678901234.5", "", "", "", "day.csv"],
        ["BBB", "2024-01-02", "0.0000001", "0.2", "0.0000001", "0.1", "5", "", "", "", "", "day.csv"],
    ]
    # the staging table is dropped after the MERGE; every query job carries the byte cap and labels
    assert client.deleted == [load.table]
    assert all(q.config.maximum_bytes_billed == 5_000_000 for q in client.queries)
    assert all(q.config.labels == {"app": "strategy_engine", "job": "load"} for q in client.queries)


def test_one_merge_on_symbol_and_trade_date_parsed_by_sqlglot(tmp_path: Path) -> None:
    path = _csv(tmp_path, "day.csv", "AAA,2024-01-02,10,11,9,10.5,1000,1\nAAA,2024-03-05,10,11,9,10.5,1000,1\n")
    client = FakeClient()
    load_paths_bigquery([path], "ohlcv-csv", TARGET, client)
    [merge_sql] = _statements(client, "merge")
    merge = sqlglot.parse_one(merge_sql, read="bigquery")
    assert isinstance(merge, exp.Merge)
    assert merge.this.sql("bigquery") == "`proj.trading_data.market_data` AS stored"
    assert merge.args["using"].name.startswith("_load_market_data_")
    on_columns = {(c.table, c.name) for c in merge.args["on"].find_all(exp.Column)}
    assert on_columns == {("stored", "symbol"), ("incoming", "symbol"), ("stored", "trade_date"),
                          ("incoming", "trade_date")}
    # the ON clause prunes the target to the incoming months: BigQuery reads two partitions, not all
    assert "BETWEEN CAST('2024-01-02' AS DATE) AND CAST('2024-03-05' AS DATE)" in merge.args["on"].sql("bigquery")
    matched, not_matched = merge.args["whens"].expressions
    assert matched.args["matched"] and isinstance(matched.args["then"], exp.Update)
    # identical rows are not touched: the update only runs when a compared value differs
    compared = {c.name for c in matched.args["condition"].find_all(exp.Column)}
    assert compared == {"open", "high", "low", "close", "volume", "value", "trades"}
    updated = {eq.this.name for eq in matched.args["then"].expressions}
    assert updated == {name for name, _ in MARKET_STAGING_SCHEMA} - {"symbol", "trade_date"} | {"loaded_at"}
    assert not not_matched.args["matched"] and isinstance(not_matched.args["then"], exp.Insert)
    # the classification SELECT reads the same date range of the target
    [select_sql] = _statements(client, "select incoming.symbol")
    select = sqlglot.parse_one(select_sql, read="bigquery")
    assert "BETWEEN CAST('2024-01-02' AS DATE) AND CAST('2024-03-05' AS DATE)" in select.args["where"].sql("bigquery")
    # the source tables are created when missing, with the dbt macro's partitioning
    ddl = [q.sql for q in client.queries if q.sql.startswith("create")]
    assert ddl == source_table_ddl(TARGET)
    for statement in ddl:
        sqlglot.parse_one(statement, read="bigquery")


def test_report_counts_replaced_and_unchanged_from_the_stored_rows(tmp_path: Path) -> None:
    path = _csv(tmp_path, "day.csv", "AAA,2024-01-02,10,11,9,10.5,1000,1\nAAA,2024-01-03,10,11,9,10.5,1000,1\n"
                                     "BBB,2024-01-03,10,11,9,10.5,1000,1\n")
    client = FakeClient(stored={("AAA", "2024-01-02"): True, ("AAA", "2024-01-03"): False})
    report = load_paths_bigquery([path], "auto", TARGET, client)
    assert (report.inserted, report.replaced, report.unchanged) == (1, 1, 1)
    assert report.replaced_keys == [("AAA", "2024-01-03")]
    # the fake MERGE says it changed 7 rows, not the 2 the SELECT predicted: reported, not hidden
    assert report.notes and "7" in report.notes[0]


def test_corporate_actions_merge_on_symbol_ex_date_action(tmp_path: Path) -> None:
    path = tmp_path / "actions.csv"
    path.write_text("symbol,ex_date,action,ratio_from,ratio_to,price_factor\nAAA,2024-01-03,split,1,10,0.1\n")
    client = FakeClient()
    report = load_paths_bigquery([path], "auto", TARGET, client)
    [load] = client.loads
    assert [f.name for f in load.config.schema] == [name for name, _ in ACTION_STAGING_SCHEMA]
    [merge_sql] = _statements(client, "merge")
    merge = sqlglot.parse_one(merge_sql, read="bigquery")
    assert merge.this.name == "corporate_actions"
    assert {c.name for c in merge.args["on"].find_all(exp.Column)} == {"symbol", "ex_date", "action"}
    assert report.corporate_actions == 7  # the MERGE's affected rows


def test_a_malformed_file_sends_nothing(tmp_path: Path) -> None:
    good = _csv(tmp_path, "good.csv", "AAA,2024-01-02,10,11,9,10.5,1000,1\n")
    bad = _csv(tmp_path, "bad.csv", "AAA,2024-01-03,10,11,9,ten,1000,1\n")
    client = FakeClient()
    with pytest.raises(LoadError, match="bad.csv, line 2"):
        load_paths_bigquery([good, bad], "auto", TARGET, client)
    assert client.loads == [] and client.queries == []


def test_target_is_read_from_the_profile_with_its_env_vars() -> None:
    env = {"SE_BQ_PROJECT": "acme-analytics", "SE_BQ_DATASET": "alice", "SE_BQ_LOCATION": "EU"}
    dev = read_target("dev", environ=env)
    assert (dev.project, dev.location, dev.method, dev.source_dataset) == ("acme-analytics", "EU", "oauth",
                                                                           "alice_trading_data")
    assert dev.maximum_bytes_billed == 50_000_000_000
    prod = read_target("prod", environ={"SE_BQ_KEYFILE": "/keys/sa.json"})
    assert (prod.project, prod.location, prod.method, prod.keyfile) == (
        "strategy-engine-prod", "asia-south1", "service-account", "/keys/sa.json")
    assert prod.table("market_data") == "strategy-engine-prod.trading_data.market_data"
    with pytest.raises(ValueError, match="not a BigQuery output"):
        read_target("local", environ={})
    emulator = read_target("bq_emulator", environ={"SE_BQ_EMULATOR_PORT": "1234"})
    assert (emulator.api_endpoint, emulator.method, emulator.source_dataset) == (
        "http://127.0.0.1:1234", "oauth-secrets", "trading_data")


def test_ddl_matches_the_dbt_macro() -> None:
    """The macro no longer spells out the tables: it renders them from models/staging/__sources.yml,
    as source_table_ddl does (tests/python/test_source_tables.py compares dbt's rendering with it)."""
    macro = (PROJECT_DIR / "macros/warehouse/create_source_tables.sql").read_text()
    bigquery_block = macro.split("bigquery__create_source_tables")[1]
    assert "source_table_nodes()" in bigquery_block and "float64" not in bigquery_block

    def columns(ddl: str) -> list[str]:
        return [c.name for c in sqlglot.parse_one(ddl, read="bigquery").find_all(exp.ColumnDef)]

    source = yaml.safe_load((PROJECT_DIR / "models/staging/__sources.yml").read_text())["sources"][0]
    yaml_tables = [[column["name"] for column in table["columns"]] for table in source["tables"]]
    assert yaml_tables == [columns(s) for s in source_table_ddl(TARGET)[1:]]
    assert "partition by date_trunc(trade_date, month)" in source_table_ddl(TARGET)[1]


def test_csv_floats_round_trip_without_exponents() -> None:
    values = [0.1, 1 / 3, 1e-9, 123456789.123, 1.5e20, 2.0]
    frame = pd.DataFrame({"x": values})
    cells = frame_to_csv(frame, [("x", "FLOAT64")]).decode().split()
    assert all("e" not in cell.lower() for cell in cells)
    assert [float(cell) for cell in cells] == values


def test_cli_target_routes_to_bigquery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def fake_load(paths, fmt, target, limits=None):  # noqa: ANN001, ANN202
        calls.append((paths, fmt, target, type(limits).__name__))
        from strategy_engine.loading import LoadReport
        return LoadReport(files=1, rows_read=1, inserted=1)

    monkeypatch.setattr("strategy_engine.loading.bigquery.load_paths_bigquery", fake_load)
    path = _csv(tmp_path, "day.csv", "AAA,2024-01-02,10,11,9,10.5,1000,1\n")
    assert cli.main(["load", str(path), "--target", "prod"]) == 0
    assert calls == [([path], "auto", "prod", "ArchiveLimits")]


# -- the same code against the crucible emulator -----------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def emulator(tmp_path: Path) -> Iterator[tuple[object, int]]:
    """(client, port) of a crucible emulator started for this test on a free port."""
    if not CRUCIBLE.exists():
        pytest.skip(f"crucible-emulator not installed at {CRUCIBLE} (make bigquery-emulator installs it)")
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    port = _free_port()
    log = (tmp_path / "crucible.log").open("w")
    process = subprocess.Popen(
        [str(CRUCIBLE), "serve", "--dialect", "bigquery", "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_crucible/health", timeout=2) as response:
                    if json.loads(response.read()).get("status") == "ok":
                        break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail(f"crucible did not start: {(tmp_path / 'crucible.log').read_text()[-2000:]}")
                time.sleep(0.3)
        yield bigquery.Client(project=TARGET.project, credentials=AnonymousCredentials(),
                              client_options=ClientOptions(api_endpoint=f"http://127.0.0.1:{port}")), port
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_load_jobs_and_merge_on_the_emulator(tmp_path: Path, emulator) -> None:  # noqa: ANN001
    client, _ = emulator
    first = _csv(tmp_path, "first.csv", "AAA,2024-01-02,10,11,9,10.5,1000,10500.25\n"
                                        "AAA,2024-01-03,10.5,12,10,11.25,2000,\n"
                                        "M&M,2024-01-02,0.0000001,0.2,0.0000001,0.1,5,0.5\n")
    report = load_paths_bigquery([first], "auto", TARGET, client)
    assert (report.inserted, report.replaced, report.unchanged, report.notes) == (3, 0, 0, [])

    def stored() -> list[tuple]:
        return [tuple(row.values()) for row in client.query(
            "select symbol, trade_date, close, value, source_file, loaded_at "
            "from `proj.trading_data.market_data` order by symbol, trade_date").result()]

    before = stored()
    assert [(r[0], r[1], r[2], r[3]) for r in before] == [
        ("AAA", date(2024, 1, 2), 10.5, 10500.25), ("AAA", date(2024, 1, 3), 11.25, None),
        ("M&M", date(2024, 1, 2), 0.1, 0.5),
    ]
    # the same file again changes nothing, not even loaded_at
    again = load_paths_bigquery([first], "auto", TARGET, client)
    assert (again.inserted, again.replaced, again.unchanged) == (0, 0, 3)
    assert stored() == before
    # a corrected close replaces the stored row (new loaded_at), a new day is inserted
    second = _csv(tmp_path, "second.csv", "AAA,2024-01-03,10.5,12,10,11.5,2000,\nAAA,2024-01-04,11,12,10,11,300,\n")
    corrected = load_paths_bigquery([second], "auto", TARGET, client)
    assert (corrected.inserted, corrected.replaced, corrected.unchanged) == (1, 1, 0)
    assert corrected.replaced_keys == [("AAA", "2024-01-03")] and corrected.notes == []
    after = stored()
    assert [(r[1], r[2], r[4]) for r in after if r[0] == "AAA"] == [
        (date(2024, 1, 2), 10.5, "first.csv"), (date(2024, 1, 3), 11.5, "second.csv"),
        (date(2024, 1, 4), 11.0, "second.csv"),
    ]
    assert after[0][5] == before[0][5] and after[1][5] > before[1][5]
    # corporate actions: inserted once, idempotent, a changed factor replaces
    actions = tmp_path / "actions.csv"
    actions.write_text("symbol,ex_date,action,ratio_from,ratio_to,price_factor\nAAA,2024-01-03,split,1,10,0.1\n")
    assert load_paths_bigquery([actions], "auto", TARGET, client).corporate_actions == 1
    assert load_paths_bigquery([actions], "auto", TARGET, client).corporate_actions == 0
    actions.write_text("symbol,ex_date,action,ratio_from,ratio_to,price_factor\nAAA,2024-01-03,split,1,5,0.2\n")
    assert load_paths_bigquery([actions], "auto", TARGET, client).corporate_actions == 1
    factors = [tuple(row.values()) for row in client.query(
        "select symbol, ex_date, price_factor from `proj.trading_data.corporate_actions`").result()]
    assert factors == [("AAA", date(2024, 1, 3), 0.2)]
    # no staging table is left behind
    tables = [t.table_id for t in client.list_tables("proj.trading_data")]
    assert sorted(tables) == ["corporate_actions", "market_data"]


def test_cli_loads_into_the_profiles_emulator_target(
    tmp_path: Path, emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],  # noqa: ANN001
) -> None:
    """`strategy-engine load --target bq_emulator`: the profile's target, its oauth-secrets token and
    api_endpoint, through the command line."""
    client, port = emulator
    monkeypatch.setenv("SE_BQ_EMULATOR_PORT", str(port))
    path = _csv(tmp_path, "day.csv", "AAA,2024-01-02,10,11,9,10.5,1000,1\nBBB,2024-01-02,10,11,9,10.5,1000,1\n")
    assert cli.main(["load", str(path), "--target", "bq_emulator"]) == 0
    assert "2 inserted, 0 replaced, 0 unchanged" in capsys.readouterr().out
    assert cli.main(["load", str(path), "--target", "bq_emulator"]) == 0
    assert "0 inserted, 0 replaced, 2 unchanged" in capsys.readouterr().out
    [(rows,)] = [tuple(row.values()) for row in client.query(
        "select count(*) from `strategy-engine-emulator.trading_data.market_data`").result()]
    assert rows == 2
