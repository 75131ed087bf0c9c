"""Path-dependent indicators (Parabolic SAR, SuperTrend, chandelier exit) per (symbol, trade_date).

The logic lives in the pure functions of ``strategy_engine.path``; this model only reads the
adjusted prices, applies them one symbol at a time and returns the table. Parameters come from
the dbt var ``path_indicator_params`` (passed in as JSON by dbt_project.yml).

- DuckDB: runs in-process; pandas frame in, one call per symbol, pandas frame out.
- BigQuery: runs on Dataproc Serverless (configured in dbt_project.yml); Spark groups the rows by
  symbol and applies the same per-symbol function with ``applyInPandas``.
"""

import json

PRICE_COLUMNS = ["symbol", "trade_date", "high", "low", "close"]
SPARK_TYPES = {"double": "double", "boolean": "boolean", "bigint": "bigint"}


def _spark_model(prices, params):
    from strategy_engine.path import path_indicators

    schema = ", ".join(
        ["symbol string", "trade_date date", "close double"]
        + [f"{name} {SPARK_TYPES[kind]}" for name, kind in params.output_columns()]
    )

    def per_symbol(frame):
        return path_indicators(frame, params)

    return prices.select(*PRICE_COLUMNS).groupBy("symbol").applyInPandas(per_symbol, schema=schema)


def model(dbt, session):
    from strategy_engine.path import PathIndicatorParams, path_indicators

    dbt.config(materialized="table")
    params = PathIndicatorParams.from_config(json.loads(dbt.config.get("path_indicator_params") or "{}"))
    if dbt.config.get("target_type") == "bigquery":
        return _spark_model(dbt.ref("stg_market_data"), params)
    prices = dbt.ref("stg_market_data").select(", ".join(PRICE_COLUMNS)).df()
    result = path_indicators(prices, params)
    # DuckDB hands dates to pandas as datetime64; give them back as DATE.
    result["trade_date"] = result["trade_date"].dt.date
    return result
