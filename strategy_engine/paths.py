"""Where the project, its dbt profile and the local warehouse live."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(os.environ.get("SE_PROJECT_DIR", Path(__file__).resolve().parent.parent))
PROFILES_DIR = PROJECT_DIR / "profiles"
SAMPLE_DIR = PROJECT_DIR / "data" / "sample"
SAMPLE_MARKET_DATA = SAMPLE_DIR / "nifty50_2017_2022.zip"


def default_target() -> str:
    """The dbt target the profile picks when none is given (env SE_TARGET, else local)."""
    return os.environ.get("SE_TARGET", "local")


def duckdb_path() -> Path:
    """The local warehouse file, as the dbt profile resolves it (env SE_DUCKDB_PATH)."""
    raw = os.environ.get("SE_DUCKDB_PATH", "warehouse/strategy_engine.duckdb")
    path = Path(raw)
    return path if path.is_absolute() else PROJECT_DIR / path


def published_path() -> Path:
    """The read-only snapshot the HTTP service and the report read on DuckDB targets
    (strategy_engine/published.py); env SE_PUBLISHED_DUCKDB_PATH, else next to the warehouse file."""
    raw = os.environ.get("SE_PUBLISHED_DUCKDB_PATH")
    if not raw:
        warehouse = duckdb_path()
        return warehouse.with_name(f"{warehouse.stem}_published.duckdb")
    path = Path(raw)
    return path if path.is_absolute() else PROJECT_DIR / path
