"""Issue 15 (each fact has one home): schema and dataset names. The names are dbt's configuration
(dbt_project.yml's `+schema`, the source's name in models/staging/__sources.yml); the naming rule is
macros/warehouse/generate_schema_name.sql with its one input, var('prefixed_schema_targets').
Python (strategy_engine/schemas.py) reads the same names and var: the macro, the sources' schema and
Python must name every schema alike on every target, and no Python module may spell a schema name."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import jinja2
import pytest
import yaml

from strategy_engine import schemas
from strategy_engine.loading.bigquery import read_target
from strategy_engine.paths import PROFILES_DIR, PROJECT_DIR

MACRO = PROJECT_DIR / "macros" / "warehouse" / "generate_schema_name.sql"
SOURCES = PROJECT_DIR / "models" / "staging" / "__sources.yml"
TARGETS = sorted(yaml.safe_load((PROFILES_DIR / "profiles.yml").read_text())["strategy_engine"]["outputs"])
CUSTOM_SCHEMAS = [schemas.SOURCE_SCHEMA, schemas.STAGING_SCHEMA, schemas.INTERMEDIATE_SCHEMA,
                  schemas.MARTS_SCHEMA, schemas.SEED_SCHEMA]


def _var(name: str) -> object:
    return schemas.dbt_project()["vars"][name]


def _macro_schema(custom: str, target_name: str, target_schema: str) -> str:
    environment = jinja2.Environment(extensions=["jinja2.ext.do"])
    template = environment.from_string(MACRO.read_text())
    module = template.make_module({"target": {"name": target_name, "schema": target_schema}, "var": _var})
    return str(module.generate_schema_name(custom, None)).strip()


def _source_schema(target_name: str, target_schema: str) -> str:
    [source] = yaml.safe_load(SOURCES.read_text())["sources"]
    return jinja2.Environment().from_string(source["schema"]).render(
        target={"name": target_name, "schema": target_schema}, var=_var)


@pytest.mark.parametrize("target_name", TARGETS)
def test_macro_sources_and_python_name_schemas_alike(target_name: str) -> None:
    for custom in CUSTOM_SCHEMAS:
        expected = _macro_schema(custom, target_name, "alice")
        assert schemas.schema_name(custom, target_name, "alice") == expected, (target_name, custom)
    assert _source_schema(target_name, "alice") == _macro_schema(schemas.SOURCE_SCHEMA, target_name, "alice")


def test_dev_is_prefixed_and_the_shared_targets_are_verbatim() -> None:
    assert _macro_schema("strategy_data", "dev", "alice") == "alice_strategy_data"
    assert _source_schema("dev", "alice") == "alice_trading_data"
    for target_name in ["local", "ci", "prod"]:
        assert _macro_schema("strategy_data", target_name, "alice") == "strategy_data"
        assert _source_schema(target_name, "alice") == "trading_data"


def test_python_reads_dbts_names(monkeypatch: pytest.MonkeyPatch) -> None:
    models = schemas.dbt_project()["models"]["strategy_engine"]
    assert (models["marts"]["+schema"], models["staging"]["+schema"]) == (schemas.MARTS_SCHEMA, schemas.STAGING_SCHEMA)
    monkeypatch.setenv("SE_BQ_DATASET", "alice")
    assert read_target("dev").source_dataset == "alice_trading_data"
    assert read_target("prod").schema(schemas.MARTS_SCHEMA) == "strategy_data"


SCHEMA_LITERAL = re.compile(
    r"^(strategy_data|trading_data|staging|intermediate|reference)$"
    r"|\b(from|join|into|table|update|exists)\s+\"?(strategy_data|trading_data|staging|intermediate|reference)\"?\.",
    re.IGNORECASE,
)


def _strings_outside_docstrings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


# The scripts that read the source or the marts: the README tables', the benchmark's, the emulator
# comparison and the results baseline.
MART_READING_SCRIPTS = ["performance_table.py", "signal_counts.py", "bench_sweep.py", "bench_reference.py",
                        "bigquery_emulator.py", "mart_baseline.py"]


def test_no_python_module_spells_a_schema_name() -> None:
    allowed = {PROJECT_DIR / "strategy_engine" / "schemas.py"}
    scanned = sorted((PROJECT_DIR / "strategy_engine").rglob("*.py")) + [
        PROJECT_DIR / "scripts" / name for name in MART_READING_SCRIPTS]
    offenders = [
        f"{path.relative_to(PROJECT_DIR)}:{line}: {text.strip()[:80]!r}"
        for path in scanned if path not in allowed
        for line, text in _strings_outside_docstrings(path) if SCHEMA_LITERAL.search(text.strip())
    ]
    assert not offenders, "schema names belong to dbt's configuration (strategy_engine/schemas.py):\n" + "\n".join(
        offenders)


def test_the_scan_finds_the_old_spellings() -> None:
    for old in ["strategy_data", "reference", "select * from strategy_data.performance",
                "insert into trading_data.market_data", 'create table if not exists trading_data.market_data (',
                "select max(trade_date) from staging.stg_market_data"]:
        assert SCHEMA_LITERAL.search(old), old
