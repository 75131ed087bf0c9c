"""Issue 15 (found by reading, confirmed here): the mart reader read production from any BigQuery
target, because it hard-coded the project (SE_BQ_PROJECT, else the prod default) and the dataset
names. It now names relations as dbt does for the target (profiles/profiles.yml, dev prefix)."""

from __future__ import annotations

import pytest

from strategy_engine.marts import MartReader


@pytest.fixture(autouse=True)
def _no_bigquery_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ["SE_BQ_PROJECT", "SE_BQ_DATASET", "SE_BQ_METHOD", "SE_BQ_KEYFILE"]:
        monkeypatch.delenv(name, raising=False)


def test_report_on_dev_reads_the_developers_datasets_not_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SE_BQ_DATASET", "alice")
    dev = MartReader("dev")
    assert dev._relation("strategy_data", "signals") == "`strategy-engine-dev.alice_strategy_data.signals`"
    prod = MartReader("prod")
    assert prod._relation("strategy_data", "signals") == "`strategy-engine-prod.strategy_data.signals`"


def test_the_project_comes_from_the_target(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SE_BQ_PROJECT", "desk-analytics")
    assert MartReader("prod")._relation("strategy_data", "performance") == (
        "`desk-analytics.strategy_data.performance`")
    assert MartReader("bq_emulator")._relation("strategy_data", "performance") == (
        "`strategy-engine-emulator.strategy_data.performance`")


def test_duckdb_targets_keep_schema_dot_table() -> None:
    assert MartReader("local")._relation("strategy_data", "signals") == '"strategy_data"."signals"'
