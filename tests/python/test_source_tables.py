"""Issue 15 (each fact has one home): the source tables' shape is written once, in
models/staging/__sources.yml. dbt's create_source_tables macro (reading dbt's graph) and the loaders
(strategy_engine/source_tables.py reading the YAML) must create the same tables, and no other file
may spell out the tables' columns with their types again."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlglot

from strategy_engine.loading import formats
from strategy_engine.loading.bigquery import (
    ACTION_STAGING_SCHEMA,
    MARKET_STAGING_SCHEMA,
    BigQueryTarget,
    source_table_ddl,
)
from strategy_engine.paths import PROFILES_DIR, PROJECT_DIR
from strategy_engine.source_tables import SOURCES_YAML, source_tables
from strategy_engine.warehouse import SOURCE_DDL

SPLIT = "-- bigquery --"
# What a second definition looks like: a source column next to a warehouse or Arrow type.
COLUMN_WITH_TYPE = re.compile(
    r"""\b(open|volume|trades|ex_date|ratio_from|ratio_to|price_factor)\b["']?\s*[,:]?\s*["']?\s*"""
    r"""(double|float64|bigint|int64|pa\.float64|pa\.int64)\b""",
    re.IGNORECASE,
)
SCANNED = ["strategy_engine", "scripts", "macros", "models", "python_models"]


def _statements(sql: str, dialect: str) -> list[str]:
    return [statement.sql(dialect) for statement in sqlglot.parse(sql, read=dialect) if statement is not None]


@pytest.fixture(scope="module")
def compiled_macro(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """The macro's DuckDB and BigQuery forms, rendered by dbt (the BigQuery form on the DuckDB
    target, so its project and location render empty)."""
    from dbt.cli.main import dbtRunner

    tmp_path = tmp_path_factory.mktemp("source_tables")
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("SE_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    try:
        inline = f"{{{{ default__create_source_tables() }}}}\n{SPLIT}\n{{{{ bigquery__create_source_tables() }}}}"
        result = dbtRunner().invoke(["--quiet", "compile", "--inline", inline, "--project-dir", str(PROJECT_DIR),
                                     "--profiles-dir", str(PROFILES_DIR), "--target-path", str(tmp_path / "target")])
    finally:
        monkeypatch.undo()
    assert result.success, result.exception
    duckdb_form, bigquery_form = result.result.results[0].node.compiled_code.split(SPLIT)
    return duckdb_form, bigquery_form


def test_dbt_and_the_duckdb_loader_create_the_same_tables(compiled_macro: tuple[str, str]) -> None:
    duckdb_form, _ = compiled_macro
    assert _statements(duckdb_form, "duckdb") == _statements(SOURCE_DDL, "duckdb")
    assert len(_statements(SOURCE_DDL, "duckdb")) == 1 + len(source_tables())


def test_dbt_and_the_bigquery_loader_create_the_same_tables(compiled_macro: tuple[str, str]) -> None:
    _, bigquery_form = compiled_macro
    target = BigQueryTarget("prod", "", "strategy_engine", "", "oauth", None, None)
    loader = _statements(";\n".join(source_table_ddl(target)), "bigquery")
    assert _statements(bigquery_form, "bigquery") == loader
    market = source_table_ddl(target)[1]
    assert "partition by date_trunc(trade_date, month)" in market and "cluster by symbol" in market
    assert "symbol string not null" in market


def test_staging_tables_and_parsers_follow_the_source_columns() -> None:
    tables = source_tables()
    market = [name for name, _ in tables["market_data"].columns]
    actions = [name for name, _ in tables["corporate_actions"].columns]
    assert [name for name, _ in MARKET_STAGING_SCHEMA] == [c for c in market if c != "loaded_at"]
    assert [name for name, _ in ACTION_STAGING_SCHEMA] == [c for c in actions if c != "loaded_at"]
    assert [c for c in market if c not in {"source_file", "loaded_at"}] == formats.MARKET_COLUMNS
    assert formats.MARKET_SCHEMA.names == formats.MARKET_COLUMNS
    assert [c for c in actions if c not in {"source_file", "loaded_at"}] == formats.CORPORATE_ACTION_COLUMNS
    # volume is stored as loaded (a double), so staging can reject a non-finite value with a reason
    assert dict(tables["market_data"].typed_columns("duckdb"))["volume"] == "double"


def test_no_other_file_defines_the_source_columns_again() -> None:
    offenders = []
    for folder in SCANNED:
        for path in sorted((PROJECT_DIR / folder).rglob("*")):
            if path.suffix not in {".py", ".sql", ".yml"} or path == SOURCES_YAML:
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if COLUMN_WITH_TYPE.search(line):
                    offenders.append(f"{Path(path).relative_to(PROJECT_DIR)}:{number}: {line.strip()}")
    assert not offenders, "source columns defined outside models/staging/__sources.yml:\n" + "\n".join(offenders)


def test_the_scan_finds_the_old_definitions() -> None:
    """The pattern above matches each form the columns used to be written in."""
    for old in ['volume double, value double, trades bigint', '("volume", "FLOAT64")', "price_factor float64",
                '("open", pa.float64())', "ratio_from double"]:
        assert COLUMN_WITH_TYPE.search(old), old
