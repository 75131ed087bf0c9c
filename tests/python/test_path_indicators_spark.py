"""The BigQuery (Dataproc Serverless) code path of the path_indicators model, on local Spark.

Slow and optional: pyspark (about 450 MB) is not in the lock file, so this test is skipped unless
pyspark is importable (e.g. `pip install pyspark==4.3.0`; Java 17 is needed). It runs the model's
own Spark function (groupBy("symbol").applyInPandas over the same pure function) and compares the
result with the DuckDB/pandas path.
"""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pandas as pd
import pytest
from path_indicator_sets import configured_path_params

from strategy_compute.path import path_indicators
from strategy_engine.paths import PROJECT_DIR

pytestmark = pytest.mark.slow


def load_model_module():
    spec = importlib.util.spec_from_file_location(
        "path_indicators_model", PROJECT_DIR / "python_models" / "path_dependent" / "path_indicators.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_spark_apply_in_pandas_equals_the_pandas_path(monkeypatch):
    pyspark_sql = pytest.importorskip("pyspark.sql")
    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)  # workers need this venv (numba, the package)
    rng = np.random.default_rng(3)
    frames = []
    for number in range(4):
        close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, 300)))
        frames.append(pd.DataFrame({
            "symbol": f"S{number}",
            "trade_date": pd.bdate_range("2021-01-01", periods=300).date,
            "high": close * 1.01, "low": close * 0.99, "close": close,
        }))
    prices = pd.concat(frames, ignore_index=True)
    params = configured_path_params()
    spark = pyspark_sql.SparkSession.builder.master("local[2]").appName("path_indicators_test").getOrCreate()
    try:
        result = load_model_module()._spark_model(spark.createDataFrame(prices), params).toPandas()
    finally:
        spark.stop()
    result = result.sort_values(["symbol", "trade_date"]).reset_index(drop=True)
    expected = path_indicators(prices, params)
    for column in ["psar", "supertrend_10_3", "chandelier_long_22_3", "psar_next"]:
        assert np.array_equal(result[column].to_numpy(dtype=float), expected[column].to_numpy(dtype=float),
                              equal_nan=True), column
    assert result["supertrend_direction"].fillna(0).astype(int).tolist() == (
        expected["supertrend_direction"].fillna(0).astype(int).tolist()
    )
