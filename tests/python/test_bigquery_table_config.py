"""The one table-layout macro (macros/warehouse/warehouse_table_config.sql) per target, and the
Python models' config, which reads the same var (warehouse_table_layout) as the macro; the runner's
BigQuery row counts read table metadata."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jinja2
import pytest
import yaml
from jinja2.nativetypes import NativeEnvironment

from strategy_engine.marts import MartReader

PROJECT_DIR = Path(__file__).resolve().parents[2]
MACRO = (PROJECT_DIR / "macros/warehouse/warehouse_table_config.sql").read_text()
PROJECT = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())


def _var(name: str) -> Any:
    """dbt's var() with the project's vars (the macro and the Python models' config read them)."""
    return PROJECT["vars"][name]


class _Returned(Exception):  # noqa: N818 - carries dbt's return() value out of the template
    def __init__(self, value: Any) -> None:
        self.value = value


def _dbt_return(value: Any) -> None:
    raise _Returned(value)


def table_config(target_type: str, target_name: str, call: str = "daily_table_config()") -> dict:
    """Render the macro as dbt does (return() ends the macro with a value; not nested macro calls,
    so incremental configs, which call incremental_strategy(), are not rendered here)."""
    env = jinja2.Environment(extensions=["jinja2.ext.do"])
    template = env.from_string(MACRO + "{{ " + call + " }}")
    with pytest.raises(_Returned) as returned:
        template.render(target=SimpleNamespace(type=target_type, name=target_name), var=_var,
                        **{"return": _dbt_return})
    return returned.value.value


def test_layout_per_target() -> None:
    bigquery = table_config("bigquery", "prod", "daily_table_config(require_partition_filter=true)")
    assert bigquery == {
        "require_partition_filter": True, "cluster_by": ["symbol"],
        "partition_by": {"field": "trade_date", "data_type": "date", "granularity": "month"},
    }
    # crucible refuses the option instead of ignoring it; DuckDB has no partitions at all
    emulator = table_config("bigquery", "bq_emulator", "daily_table_config(require_partition_filter=true)")
    assert "require_partition_filter" not in emulator and emulator["partition_by"]["field"] == "trade_date"
    duckdb = table_config("duckdb", "ci", "daily_table_config(require_partition_filter=true)")
    assert duckdb == {}


class _CompilerError(Exception):
    pass


def _raise_compiler_error(message: str) -> None:
    raise _CompilerError(message)


@pytest.mark.parametrize("materialized", ["table", None])
def test_a_unique_key_without_an_incremental_materialization_fails(materialized: str | None) -> None:
    """The macro never makes a model incremental: a model that passes unique_key but does not say
    materialized='incremental' itself fails compilation instead of being rebuilt every run."""
    env = jinja2.Environment(extensions=["jinja2.ext.do"])
    template = env.from_string(MACRO + "{{ daily_table_config(unique_key=['symbol', 'trade_date']) }}")
    model = SimpleNamespace(name="some_model", resource_type="model", config={"materialized": materialized})
    with pytest.raises(_CompilerError, match="say materialized='incremental'"):
        template.render(
            target=SimpleNamespace(type="duckdb", name="ci"), execute=True, model=model, var=_var,
            exceptions=SimpleNamespace(raise_compiler_error=_raise_compiler_error), **{"return": _dbt_return},
        )


@pytest.mark.parametrize("target_type", ["bigquery", "duckdb"])
def test_python_models_layout_equals_the_macros(target_type: str) -> None:
    """Python models cannot call macros: their YAML reads the var the macro reads, to the same layout."""
    expected = table_config(target_type, "prod")
    config = yaml.safe_load((PROJECT_DIR / "python_models/path_dependent/path_indicators.yml").read_text())
    config = config["models"][0]["config"]
    env = NativeEnvironment()
    target = SimpleNamespace(type=target_type)
    for key in ("partition_by", "cluster_by"):
        assert env.from_string(config[key]).render(target=target, var=_var) == expected.get(key)


def test_bigquery_row_count_reads_table_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    requested = []

    class FakeClient:
        def __init__(self, project: str | None = None, **_options: object) -> None:
            self.project = project

        def get_table(self, table_id: str) -> SimpleNamespace:
            requested.append(table_id)
            return SimpleNamespace(num_rows=1234)

        def query(self, *args: object, **kwargs: object) -> None:
            raise AssertionError("a row count must not run a query (require_partition_filter)")

    monkeypatch.setattr("google.cloud.bigquery.Client", FakeClient)
    monkeypatch.setenv("SE_BQ_PROJECT", "acme")
    monkeypatch.setenv("SE_BQ_METHOD", "oauth")  # the client the target's profile entry describes
    assert MartReader("prod").row_count("strategy_data", "equity_curve") == 1234
    assert requested == ["acme.strategy_data.equity_curve"]


@pytest.mark.parametrize(("target_type", "expected"), [("bigquery", "merge"), ("duckdb", "delete+insert")])
def test_python_models_incremental_strategy_is_the_macros(target_type: str, expected: str) -> None:
    """A Python model's YAML cannot call macros: its incremental_strategy must equal incremental_strategy()."""
    assert table_config(target_type, "prod", "incremental_strategy()") == expected
    env = NativeEnvironment()
    checked = []
    for path in sorted((PROJECT_DIR / "python_models").rglob("*.yml")):
        for model in yaml.safe_load(path.read_text())["models"]:
            if "incremental_strategy" in model.get("config", {}):
                rendered = env.from_string(model["config"]["incremental_strategy"]).render(
                    target=SimpleNamespace(type=target_type), var=_var)
                assert rendered == expected, model["name"]
                checked.append(model["name"])
    assert {"path_indicators", "positions"} <= set(checked)
