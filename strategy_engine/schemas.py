"""Schema (dataset) names as dbt gives them, read from dbt's own configuration, never restated.

The names live in dbt_project.yml (each model folder's and the seeds' `+schema`) and in
models/staging/__sources.yml (the source's name); the naming rule is
macros/warehouse/generate_schema_name.sql, whose only input besides the target is the var
`prefixed_schema_targets` in dbt_project.yml: on those targets every custom schema is prefixed with
the target's schema or dataset (alice_strategy_data), elsewhere it is written verbatim.
`schema_name` applies that rule for Python (the loaders and the mart reader);
tests/python/test_schema_names.py renders the macro and the sources' schema and fails if the
three disagree, or if another module spells a schema name.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from strategy_engine.paths import PROJECT_DIR
from strategy_engine.source_tables import SOURCE_NAME, read_yaml

DBT_PROJECT_YML = PROJECT_DIR / "dbt_project.yml"


@lru_cache(maxsize=1)
def dbt_project() -> dict[str, Any]:
    return read_yaml(DBT_PROJECT_YML)


def model_folder_schema(folder: str) -> str:
    """The custom schema dbt_project.yml gives the models of `folder` (marts -> strategy_data)."""
    return str(dbt_project()["models"]["strategy_engine"][folder]["+schema"])


def seed_schema() -> str:
    return str(dbt_project()["seeds"]["strategy_engine"]["+schema"])


def prefixed_schema_targets() -> tuple[str, ...]:
    """The targets on which every custom schema carries the target's schema as a prefix (dev)."""
    return tuple(dbt_project()["vars"]["prefixed_schema_targets"])


def schema_name(custom_schema: str, target_name: str, target_schema: str) -> str:
    """The schema dbt builds `custom_schema` into on a target, as generate_schema_name names it."""
    if target_name in prefixed_schema_targets():
        return f"{target_schema}_{custom_schema}"
    return custom_schema


SOURCE_SCHEMA = SOURCE_NAME
STAGING_SCHEMA = model_folder_schema("staging")
INTERMEDIATE_SCHEMA = model_folder_schema("intermediate")
MARTS_SCHEMA = model_folder_schema("marts")
SEED_SCHEMA = seed_schema()
