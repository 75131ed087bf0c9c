"""Issue 17, first slice: the ML features, labels and folds (docs/ML.md).

1. A pandas reference recomputes every column of ml_market_features, ml_features, ml_labels and
   ml_folds from the sample build's adjusted prices (int_market_data_adjusted) and indicators, and
   equals the marts (floats within 1e-9 relative).
2. No look-ahead, by perturbation: a few sample symbols are built from scratch twice, once as
   loaded and once with every price after a cut date changed; every feature dated on or before
   the cut is unchanged (and every label known by the cut). The same detector finds a feature
   that reads one day ahead (a pandas column shifted by one session).
3. Incremental equals full refresh: the same symbols built to day D, then one session at a time
   with incremental runs, then a late corrected price; after each step the four marts equal a
   --full-refresh of the same data, and a daily run writes only the new day's features.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from strategy_engine.dbt_invoke import run_dbt
from strategy_engine.loading import load_paths
from strategy_engine.paths import PROJECT_DIR, SAMPLE_MARKET_DATA
from strategy_engine.schemas import INTERMEDIATE_SCHEMA, MARTS_SCHEMA, SOURCE_SCHEMA
from strategy_engine.warehouse import connect

VARS = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
HORIZON = int(VARS["ml_label_horizon"])
EMBARGO = int(VARS["ml_embargo_sessions"])
MIN_TRAINING_YEARS = int(VARS["ml_min_training_years"])
RUN_STAMPS = {"computed_at"}
MARTS = {
    "ml_market_features": ["trade_date"],
    "ml_features": ["symbol", "trade_date"],
    "ml_labels": ["symbol", "trade_date"],
    "ml_folds": ["fold_id"],
}
SYMBOLS = ("EICHERMOT", "ASIANPAINT", "INFY", "TCS", "RELIANCE", "HDFCBANK")
SELECTION = ["+ml_features", "+ml_labels", "+ml_folds"]
DAILY_STEPS = 2
CUT_DATE = dt.date(2020, 6, 30)


# ---- helpers ------------------------------------------------------------------------------------

def read_marts(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    return {name: con.execute(f"select * from {MARTS_SCHEMA}.{name}").df().sort_values(keys).reset_index(drop=True)
            for name, keys in MARTS.items()}


def assert_frames_equal(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str], name: str,
                        columns: list[str] | None = None) -> None:
    """Same keys in the same order; floats within 1e-9 (relative, 1e-12 absolute), NULL where NULL."""
    actual = actual.sort_values(keys).reset_index(drop=True)
    expected = expected.sort_values(keys).reset_index(drop=True)
    assert len(actual) == len(expected), f"{name}: {len(actual)} rows, expected {len(expected)}"
    assert all(_as_text(actual[key]) == _as_text(expected[key]) for key in keys), f"{name}: keys differ"
    for column in columns or [c for c in expected.columns if c not in RUN_STAMPS]:
        left, right = actual[column], expected[column]
        if pd.api.types.is_float_dtype(right) or pd.api.types.is_float_dtype(left):
            same = np.isclose(left.astype("float64").to_numpy(), right.astype("float64").to_numpy(),
                              rtol=1e-9, atol=1e-12, equal_nan=True)
            assert same.all(), f"{name}.{column}: {int((~same).sum())} values differ, e.g.\n{actual.loc[~same].head()}"
        else:
            assert _as_text(left) == _as_text(right), f"{name}.{column} differs"


def _as_text(values: pd.Series) -> list[str | None]:
    """Values as comparable text: dates as yyyy-mm-dd whether datetime64 or date objects."""
    if pd.api.types.is_datetime64_any_dtype(values) or any(isinstance(v, dt.date) for v in values.dropna()[:1]):
        values = pd.to_datetime(values).dt.strftime("%Y-%m-%d")
    return [None if pd.isna(v) else str(v) for v in values]


def changed_before(original: pd.DataFrame, perturbed: pd.DataFrame, keys: list[str], date_column: str,
                   cut: dt.date) -> list[str]:
    """The look-ahead detector: the columns whose value on some row dated on or before `cut`
    differs between a build of the original prices and a build of prices changed after `cut`."""
    dates = pd.to_datetime(original[date_column]).dt.date
    before = original[dates <= cut].set_index(keys).sort_index()
    after = perturbed.set_index(keys).loc[before.index]
    changed = []
    for column in before.columns:
        if column in RUN_STAMPS:
            continue
        left, right = before[column], after[column]
        if pd.api.types.is_float_dtype(left):
            if not np.isclose(left.astype("float64").to_numpy(), right.astype("float64").to_numpy(),
                              rtol=1e-12, atol=0, equal_nan=True).all():
                changed.append(column)
        elif _as_text(left) != _as_text(right):
            changed.append(column)
    return changed


# ---- 1. the pandas reference --------------------------------------------------------------------

def reference_market_features(prices: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    prices = prices.sort_values(["symbol", "trade_date"])
    prices["return_1d"] = prices["close"] / prices.groupby("symbol")["close"].shift(1) - 1
    above = indicators.assign(above=np.where(indicators["sma_50"].isna(), np.nan,
                                             (indicators["close"] > indicators["sma_50"]).astype(float)))
    days = prices.groupby("trade_date").agg(
        universe_return_1d=("return_1d", "mean"),
        return_dispersion_1d=("return_1d", lambda r: r.std(ddof=0) if r.notna().any() else np.nan),
        symbol_count=("symbol", "size"),
        return_count=("return_1d", "count"),
    )
    breadth = above.groupby("trade_date").agg(breadth_sma_50=("above", "mean"), sma_50_count=("above", "count"))
    days = days.join(breadth).sort_index().reset_index()
    days["session_index"] = np.arange(len(days))
    days["universe_volatility_20"] = (
        days["universe_return_1d"].rolling(20, min_periods=20).std(ddof=0) * np.sqrt(252.0))
    return days


def reference_features(prices: pd.DataFrame, indicators: pd.DataFrame, market: pd.DataFrame) -> pd.DataFrame:
    prices = prices.sort_values(["symbol", "trade_date"])
    by_symbol = prices.groupby("symbol")["close"]
    returns = prices[["symbol", "trade_date"]].assign(
        return_1d=prices["close"] / by_symbol.shift(1) - 1,
        return_5d=prices["close"] / by_symbol.shift(5) - 1,
        return_20d=prices["close"] / by_symbol.shift(20) - 1,
    )
    ind = indicators
    normalised = ind[["symbol", "trade_date", "rsi_14", "roc_10", "adx_14", "volatility_20"]].assign(
        macd_hist_to_close=ind["macd_hist"] / ind["close"],
        bollinger_percent_b=(ind["close"] - ind["bb_lower"]) / (ind["bb_upper"] - ind["bb_lower"]).replace(0, np.nan),
        atr_to_close=ind["atr_14"] / ind["close"],
        close_to_sma_50=ind["close"] / ind["sma_50"] - 1,
        close_to_sma_200=ind["close"] / ind["sma_200"] - 1,
    )
    market_columns = ["trade_date", "session_index", "universe_return_1d", "breadth_sma_50",
                      "return_dispersion_1d", "universe_volatility_20"]
    return normalised.merge(returns, on=["symbol", "trade_date"]).merge(market[market_columns], on="trade_date")


def reference_labels(prices: pd.DataFrame, market: pd.DataFrame) -> pd.DataFrame:
    sessions = market[["trade_date", "session_index"]]
    closes = prices.merge(sessions, on="trade_date")[["symbol", "trade_date", "session_index", "close"]]
    later = closes.assign(session_index=closes["session_index"] - HORIZON)[["symbol", "session_index", "close"]]
    labels = closes.merge(later, on=["symbol", "session_index"], how="left", suffixes=("", "_later"))
    known = sessions.assign(session_index=sessions["session_index"] - HORIZON).rename(
        columns={"trade_date": "known_from_date"})
    labels = labels.merge(known, on="session_index", how="left")
    labels["forward_return"] = labels["close_later"] / labels["close"] - 1
    labels["label_up"] = np.where(labels["forward_return"].isna(), np.nan, (labels["forward_return"] > 0).astype(float))
    labels["label_horizon_sessions"] = HORIZON
    return labels


def reference_folds(market: pd.DataFrame) -> pd.DataFrame:
    dates = pd.to_datetime(market["trade_date"]).reset_index(drop=True)
    first = dates.iloc[0]
    folds = []
    for _, month in dates.groupby(dates.dt.to_period("M")):
        test_start = month.iloc[0]
        if test_start < first + pd.DateOffset(years=MIN_TRAINING_YEARS):
            continue
        position = int(month.index[0])
        folds.append({
            "fold_id": test_start.year * 100 + test_start.month,
            "train_start": first.date(),
            "train_end": dates.iloc[position - EMBARGO - 1].date(),
            "embargo_sessions": EMBARGO,
            "label_horizon_sessions": HORIZON,
            "test_start": test_start.date(),
            "test_end": month.iloc[-1].date(),
            "training_window": "expanding",
        })
    return pd.DataFrame(folds)


@pytest.fixture(scope="module")
def sample(sample_build) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(sample_build.warehouse), read_only=True) as con:
        tables = read_marts(con)
        tables["prices"] = con.execute(
            f"select symbol, trade_date, close from {INTERMEDIATE_SCHEMA}.int_market_data_adjusted").df()
        tables["indicators"] = con.execute(f"select * from {MARTS_SCHEMA}.indicators").df()
    return tables


def test_market_features_equal_the_pandas_reference(sample) -> None:
    expected = reference_market_features(sample["prices"], sample["indicators"])
    assert_frames_equal(sample["ml_market_features"], expected, ["trade_date"], "ml_market_features",
                        [c for c in sample["ml_market_features"].columns if c not in RUN_STAMPS])
    assert sample["ml_market_features"]["universe_volatility_20"].notna().sum() > 1000


def test_features_equal_the_pandas_reference(sample) -> None:
    market = reference_market_features(sample["prices"], sample["indicators"])
    expected = reference_features(sample["prices"], sample["indicators"], market)
    actual = sample["ml_features"]
    assert_frames_equal(actual, expected, ["symbol", "trade_date"], "ml_features",
                        [c for c in actual.columns if c not in RUN_STAMPS])
    last_year = actual[pd.to_datetime(actual["trade_date"]) >= pd.Timestamp("2021-03-01")]
    assert len(last_year) > 5000 and last_year.notna().all().all(), "late rows have every feature"


def test_labels_equal_the_pandas_reference(sample) -> None:
    market = reference_market_features(sample["prices"], sample["indicators"])
    expected = reference_labels(sample["prices"], market)
    actual = sample["ml_labels"]
    assert_frames_equal(actual, expected, ["symbol", "trade_date"], "ml_labels",
                        [c for c in actual.columns if c not in RUN_STAMPS])
    # the last N sessions of every symbol are not known yet; every other label is
    last_sessions = market["trade_date"].iloc[-HORIZON:]
    unknown = actual["known_from_date"].isna()
    assert (unknown == actual["trade_date"].isin(last_sessions)).all()
    assert actual.loc[~unknown, "forward_return"].notna().all()


def test_folds_equal_the_pandas_reference(sample) -> None:
    market = reference_market_features(sample["prices"], sample["indicators"])
    expected = reference_folds(market)
    assert len(expected) > 30
    assert_frames_equal(sample["ml_folds"], expected, ["fold_id"], "ml_folds")


def test_fold_training_labels_are_known_before_the_test_period(sample) -> None:
    labels = sample["ml_labels"]
    for fold in sample["ml_folds"].itertuples():
        training = labels[(labels["trade_date"] >= pd.Timestamp(fold.train_start))
                          & (labels["trade_date"] <= pd.Timestamp(fold.train_end))]
        assert training["known_from_date"].notna().all()
        assert (training["known_from_date"] < pd.Timestamp(fold.test_start)).all(), fold.fold_id


# ---- builds of a few symbols --------------------------------------------------------------------

def _dbt(args: list[str], target: Path) -> None:
    outcome = run_dbt(args, target_path=str(target))
    assert outcome.success, outcome.error or outcome.failures


def build(warehouse: Path, target: Path, full_refresh: bool = False, command: str = "run",
          tests: bool = True) -> None:
    """dbt run (or build: seeds too, for a new warehouse) of the ML marts and what they read."""
    options = ["--full-refresh"] if full_refresh else []
    options += [] if tests else ["--exclude-resource-type", "test"]
    if command == "build":
        options += ["--indirect-selection", "cautious"]  # no test of a model outside the selection
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_DUCKDB_PATH", str(warehouse))
        _dbt([command, "--select", *SELECTION, *options], target)


def load_symbols(warehouse: Path) -> list[dt.date]:
    """The sample's SYMBOLS loaded into a new warehouse; returns its sessions."""
    symbols = ", ".join(f"'{s}'" for s in SYMBOLS)
    with connect(warehouse) as con:
        load_paths(con, [SAMPLE_MARKET_DATA])
        con.execute(f"delete from {SOURCE_SCHEMA}.market_data where symbol not in ({symbols})")
        return [d for (d,) in con.execute(
            f"select distinct trade_date from {SOURCE_SCHEMA}.market_data order by trade_date").fetchall()]


def read_built(warehouse: Path) -> dict[str, pd.DataFrame]:
    with connect(warehouse) as con:
        return read_marts(con)


def full_refresh_copy(warehouse: Path, name: str, target: Path) -> dict[str, pd.DataFrame]:
    copy = warehouse.with_name(f"{name}.duckdb")
    shutil.copyfile(warehouse, copy)
    build(copy, target, full_refresh=True)
    return read_built(copy)


# ---- 2. no look-ahead -----------------------------------------------------------------------------

@dataclass
class Perturbation:
    original: dict[str, pd.DataFrame]
    perturbed: dict[str, pd.DataFrame]


@pytest.fixture(scope="module")
def perturbation(tmp_path_factory) -> Perturbation:
    root = tmp_path_factory.mktemp("ml_perturbation")
    builds = {}
    for name in ["original", "perturbed"]:
        warehouse = root / f"{name}.duckdb"
        load_symbols(warehouse)
        if name == "perturbed":
            # every price after the cut moves by a factor that changes from day to day and symbol
            # to symbol (the same for open, high, low and close, so the rows stay valid)
            with connect(warehouse) as con:
                con.execute(
                    f"update {SOURCE_SCHEMA}.market_data set"
                    " open = open * (1 + 0.03 * ((dayofyear(trade_date) + length(symbol)) % 7 - 3)),"
                    " high = high * (1 + 0.03 * ((dayofyear(trade_date) + length(symbol)) % 7 - 3)),"
                    " low = low * (1 + 0.03 * ((dayofyear(trade_date) + length(symbol)) % 7 - 3)),"
                    " close = close * (1 + 0.03 * ((dayofyear(trade_date) + length(symbol)) % 7 - 3))"
                    " where trade_date > ?", [CUT_DATE])
        build(warehouse, root / f"target_{name}", command="build", tests=False)
        builds[name] = read_built(warehouse)
    return Perturbation(builds["original"], builds["perturbed"])


def test_the_perturbation_changes_the_later_features(perturbation) -> None:
    later = changed_before(perturbation.original["ml_features"], perturbation.perturbed["ml_features"],
                           MARTS["ml_features"], "trade_date", dt.date(2099, 1, 1))
    assert {"return_1d", "return_20d", "rsi_14", "universe_return_1d", "universe_volatility_20"} <= set(later)


def test_no_feature_before_the_cut_reads_a_later_price(perturbation) -> None:
    for name in ["ml_market_features", "ml_features"]:
        changed = changed_before(perturbation.original[name], perturbation.perturbed[name], MARTS[name],
                                 "trade_date", CUT_DATE)
        assert changed == [], f"{name}: {changed} changed on or before {CUT_DATE}"


def test_labels_known_by_the_cut_are_unchanged(perturbation) -> None:
    original, perturbed = perturbation.original["ml_labels"], perturbation.perturbed["ml_labels"]
    known = original[pd.to_datetime(original["known_from_date"]).dt.date <= CUT_DATE]
    assert len(known) > 1000
    assert changed_before(known, perturbed, MARTS["ml_labels"], "trade_date", CUT_DATE) == []
    # the labels of the last N sessions before the cut end after it: they change, as they must
    pending = original[(pd.to_datetime(original["trade_date"]).dt.date <= CUT_DATE)
                       & (pd.to_datetime(original["known_from_date"]).dt.date > CUT_DATE)]
    assert "forward_return" in changed_before(pending, perturbed, MARTS["ml_labels"], "trade_date", CUT_DATE)


def test_the_detector_finds_a_feature_that_reads_one_day_ahead(perturbation) -> None:
    """Shift a feature so that day D holds day D+1's value: the detector names it."""
    def leaky(features: pd.DataFrame) -> pd.DataFrame:
        features = features.sort_values(["symbol", "trade_date"]).copy()
        features["return_1d_tomorrow"] = features.groupby("symbol")["return_1d"].shift(-1)
        return features

    changed = changed_before(leaky(perturbation.original["ml_features"]), leaky(perturbation.perturbed["ml_features"]),
                             MARTS["ml_features"], "trade_date", CUT_DATE)
    assert changed == ["return_1d_tomorrow"]


# ---- 3. incremental equals full refresh ---------------------------------------------------------

@dataclass
class Scenario:
    daily: list[tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame], dict[str, pd.DataFrame]]]
    late: dict[str, pd.DataFrame]
    late_refreshed: dict[str, pd.DataFrame]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Scenario:
    root = tmp_path_factory.mktemp("ml_incremental")
    warehouse, target = root / "warehouse.duckdb", root / "target"
    sessions = load_symbols(warehouse)
    with connect(warehouse) as con:
        later = con.execute(f"select * from {SOURCE_SCHEMA}.market_data where trade_date > ?",
                            [sessions[-DAILY_STEPS - 1]]).df()
        con.execute(f"delete from {SOURCE_SCHEMA}.market_data where trade_date > ?", [sessions[-DAILY_STEPS - 1]])
    build(warehouse, target, command="build")
    daily = []
    for step, day in enumerate(sessions[-DAILY_STEPS:]):
        before = read_built(warehouse)
        with connect(warehouse) as con:
            con.register("later_rows", later[pd.to_datetime(later["trade_date"]).dt.date == day])
            con.execute(f"insert into {SOURCE_SCHEMA}.market_data select * from later_rows")
        build(warehouse, target)
        daily.append((before, read_built(warehouse), full_refresh_copy(warehouse, f"daily_{step}", target)))
    # a corrected price of an old day for one symbol: its history is restaged, and every later
    # market feature changes
    with connect(warehouse) as con:
        con.execute(f"update {SOURCE_SCHEMA}.market_data set open = open * 0.9, high = high * 0.9, low = low * 0.9,"
                    " close = close * 0.9 where symbol = 'INFY' and trade_date = date '2021-03-01'")
    build(warehouse, target)
    late = read_built(warehouse)
    return Scenario(daily, late, full_refresh_copy(warehouse, "late_refreshed", target))


def test_daily_incremental_runs_equal_a_full_refresh(scenario) -> None:
    for _, incremental, refreshed in scenario.daily:
        for name, keys in MARTS.items():
            assert_frames_equal(incremental[name], refreshed[name], keys, name)


def test_a_daily_run_writes_only_the_new_day_and_completes_the_labels(scenario) -> None:
    for before, after, _ in scenario.daily:
        for name in ["ml_market_features", "ml_features"]:
            old_stamp = before[name]["computed_at"].max()
            new = after[name][after[name]["computed_at"] > old_stamp]
            assert set(new["trade_date"]) == {after[name]["trade_date"].max()}, name
            assert len(new) == len(after[name]) - len(before[name]) > 0, name
        labels_before, labels_after = before["ml_labels"], after["ml_labels"]
        rewritten = labels_after[labels_after["computed_at"] > labels_before["computed_at"].max()]
        sessions = sorted(after["ml_market_features"]["trade_date"])
        assert set(rewritten["trade_date"]) == set(sessions[-HORIZON - 1:])
        completed = rewritten[rewritten["trade_date"] == sessions[-HORIZON - 1]]
        assert completed["forward_return"].notna().all() and len(completed) == len(SYMBOLS)


def test_a_late_correction_equals_a_full_refresh(scenario) -> None:
    for name, keys in MARTS.items():
        assert_frames_equal(scenario.late[name], scenario.late_refreshed[name], keys, name)
    before = scenario.daily[-1][1]["ml_market_features"].set_index("trade_date")
    after = scenario.late["ml_market_features"].set_index("trade_date")
    day = pd.Timestamp("2021-03-01")
    assert after.loc[day, "universe_return_1d"] != pytest.approx(before.loc[day, "universe_return_1d"])


def test_the_ml_vars_are_in_the_project() -> None:
    assert json.dumps({key: VARS[key] for key in VARS if key.startswith("ml_")}, sort_keys=True) == json.dumps({
        "ml_embargo_sessions": 10, "ml_label_horizon": 10, "ml_min_training_years": 2,
        "ml_rolling_training_years": 2, "ml_training_window": "expanding"}, sort_keys=True)


def test_the_fold_data_tests_fail_on_a_leaking_fold(sample_build, tmp_path) -> None:
    """The dbt tests assert_ml_folds_are_purged / _embargoed pass on the sample (dbt-ci) and fail
    when a fold's training ends 3 days before its test month, with labels still running."""
    copy = tmp_path / "tampered.duckdb"
    shutil.copyfile(sample_build.warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(f"update {MARTS_SCHEMA}.ml_folds set train_end = (select max(trade_date) from"
                    f" {MARTS_SCHEMA}.ml_market_features as m where m.trade_date < test_start - interval 3 day)"
                    " where fold_id = 202001")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_DUCKDB_PATH", str(copy))
        outcome = run_dbt(["test", "--select", "assert_ml_folds_are_purged", "assert_ml_folds_are_embargoed"],
                          target_path=str(tmp_path / "target"))
    assert not outcome.success
    failed = {failure["unique_id"].rsplit(".", 1)[-1] for failure in outcome.failures}
    assert failed == {"assert_ml_folds_are_purged", "assert_ml_folds_are_embargoed"}, outcome.failures
