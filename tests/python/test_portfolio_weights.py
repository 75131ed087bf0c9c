"""Issue 16, portfolio weights: the marts portfolio_weights and portfolio_exposures.

* On the bundled sample (the session's `sample_build`, default dbt var `portfolios`): every sizing
  method and the limit sequence equal an independent pandas implementation (portfolio_reference),
  the exposures are the sums of the weights, and no declared limit is breached.
* A scenario built to push every limit: six symbols of one sector (every signal in one sector), one
  of them with its daily returns multiplied tenfold for half a year, three frequently trading
  strategies (more entries than max_positions) and four portfolios with tight limits. The build
  with its data tests passes, no limit is breached, every limit clips some row and says so in
  clip_reason, and the weights equal the reference. A copy of that warehouse with one weight and
  one sector exposure raised above their limits fails the limit data tests.
* An invalid declaration fails compilation with a message naming the problem.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from portfolio_reference import LIMIT_ORDER, breaches, read_inputs, reference_weights

from strategy_engine.dbt_invoke import run_dbt
from strategy_engine.loading import load_paths
from strategy_engine.paths import SAMPLE_MARKET_DATA
from strategy_engine.schemas import INTERMEDIATE_SCHEMA, MARTS_SCHEMA, SOURCE_SCHEMA, dbt_project
from strategy_engine.warehouse import connect

KEYS = ["portfolio_id", "trade_date", "symbol"]


def read_mart(con, name: str) -> pd.DataFrame:
    frame = con.execute(f"select * from {MARTS_SCHEMA}.{name}").df()
    frame["trade_date"] = pd.to_datetime(frame["trade_date"])
    return frame


def assert_equals_reference(con, portfolios: list[dict]) -> pd.DataFrame:
    """portfolio_weights equals the pandas reference, row for row; returns the mart."""
    mart = read_mart(con, "portfolio_weights")
    expected = reference_weights(portfolios, read_inputs(con))
    both = mart.merge(expected, on=KEYS, how="outer", suffixes=("", "_expected"), indicator=True)
    assert (both["_merge"] == "both").all(), both.loc[both["_merge"] != "both", [*KEYS, "_merge"]].head()
    assert len(mart) > 0
    for column in ["raw_weight", "target_weight"]:
        assert np.allclose(both[column], both[f"{column}_expected"], rtol=1e-9, atol=1e-12), column
    assert (both["shares"] == both["shares_expected"]).all()
    assert (both["clip_reason"].fillna("") == both["clip_reason_expected"].fillna("")).all()
    assert (both["members"] == both["members_expected"]).all()
    for column in ["sector", "entry_signal_date", "sized_on"]:
        mine = both[column] if column == "sector" else pd.to_datetime(both[column])
        assert (mine == both[f"{column}_expected"]).all(), column
    return mart


def assert_exposures_sum_weights(con, weights: pd.DataFrame) -> None:
    exposures = read_mart(con, "portfolio_exposures").set_index(["portfolio_id", "trade_date", "sector"])
    sectors = weights.groupby(["portfolio_id", "trade_date", "sector"])["target_weight"].sum()
    gross = weights.groupby(["portfolio_id", "trade_date"])["target_weight"].sum()
    gross.index = pd.MultiIndex.from_tuples([(p, d, "__GROSS__") for p, d in gross.index], names=sectors.index.names)
    expected = pd.concat([sectors, gross]).sort_index()
    assert exposures.index.sort_values().equals(expected.index)
    assert np.allclose(exposures.loc[expected.index, "weight"], expected, rtol=1e-9, atol=1e-12)


# ---- the bundled sample, default portfolios ------------------------------------------------------------

@pytest.fixture(scope="module")
def sample(sample_build):
    with duckdb.connect(str(sample_build.warehouse), read_only=True) as con:
        yield con


def test_every_method_and_limit_equals_the_pandas_reference_on_the_sample(sample):
    portfolios = dbt_project()["vars"]["portfolios"]
    methods = {p["sizing"]["method"] for p in portfolios} | {p["sizing"].get("base") for p in portfolios}
    assert {"equal_weight", "inverse_volatility", "volatility_target", "atr_risk"} <= methods
    weights = assert_equals_reference(sample, portfolios)
    assert_exposures_sum_weights(sample, weights)


def test_the_sample_portfolios_breach_no_limit_and_record_every_clip(sample):
    portfolios = dbt_project()["vars"]["portfolios"]
    weights = read_mart(sample, "portfolio_weights")
    assert breaches(weights, portfolios) == []
    recorded = {reason for reasons in weights["clip_reason"].dropna() for reason in reasons.split(",")}
    declared = {name for p in portfolios for name in (p.get("limits") or {})}
    assert recorded == declared == set(LIMIT_ORDER)
    clipped = weights["target_weight"] < weights["raw_weight"]
    assert (clipped == weights["clip_reason"].notna()).all()


def test_the_volatility_target_book_realises_its_target_on_the_sample(sample):
    """The weights decided at D's close, held to D+1's close (before costs and the open fill, which
    are the backtest's): annualised volatility over the full period within 15% of the target."""
    (portfolio,) = [p for p in dbt_project()["vars"]["portfolios"] if p["sizing"]["method"] == "volatility_target"]
    weights = read_mart(sample, "portfolio_weights")
    weights = weights[weights["portfolio_id"] == portfolio["id"]]
    closes = read_inputs(sample)["closes"].sort_values(["symbol", "trade_date"])
    closes["next_return"] = closes.groupby("symbol")["close"].shift(-1) / closes["close"] - 1
    held = weights.merge(closes, on=["symbol", "trade_date"])
    days = pd.Series(0.0, index=np.sort(closes["trade_date"].unique())[:-1])
    book = (held["target_weight"] * held["next_return"].fillna(0.0)).groupby(held["trade_date"]).sum()
    days.loc[book.index.intersection(days.index)] = book
    realised = days.std(ddof=1) * np.sqrt(252)
    assert abs(realised / portfolio["sizing"]["target"] - 1) < 0.15, realised  # 12.27% for 12% on the sample


# ---- a scenario that pushes every limit ----------------------------------------------------------------

SECTOR_SYMBOLS = ["AXISBANK", "ICICIBANK", "INDUSINDBK", "KOTAKBANK", "SBIN", "BAJFINANCE"]  # Financial Services
JUMPING_SYMBOL, JUMP_FROM, JUMP_TO = "KOTAKBANK", "2021-01-01", "2021-06-30"
STRATEGIES = [
    {"id": "rsi_mean_reversion", "type": "rsi_mean_reversion"},
    {"id": "bollinger_reversion", "type": "bollinger_reversion"},
    {"id": "supertrend_trend", "type": "supertrend_trend"},
]
PORTFOLIOS = [
    {"id": "crowded_inverse_vol", "capital": 1_000_000, "rebalance": "daily",
     "members": [{"strategy_id": "rsi_mean_reversion", "weight": 0.5},
                 {"strategy_id": "bollinger_reversion", "weight": 0.5}],
     "sizing": {"method": "inverse_volatility", "lookback": 20},
     "limits": {"max_positions": 3, "max_symbol_weight": 0.3, "max_sector_weight": 0.6,
                "max_gross_exposure": 0.55, "min_cash_weight": 0.5}},
    {"id": "crowded_volatility_target", "capital": 1_000_000, "rebalance": "weekly",
     "members": [{"strategy_id": "supertrend_trend", "weight": 1.0}],
     "sizing": {"method": "volatility_target", "target": 0.4, "lookback": 20},
     "limits": {"max_gross_exposure": 1.2, "max_positions": 4, "max_symbol_weight": 0.35}},
    {"id": "crowded_atr_risk", "capital": 1_000_000, "rebalance": "monthly",
     "members": [{"strategy_id": "bollinger_reversion", "weight": 0.6},
                 {"strategy_id": "supertrend_trend", "weight": 0.4}],
     "sizing": {"method": "atr_risk", "risk_per_trade": 0.02, "atr_multiple": 1},
     "limits": {"max_positions": 2, "max_sector_weight": 0.7, "min_cash_weight": 0.4}},
    {"id": "crowded_equal_weight", "capital": 1_000_000, "rebalance": "monthly",
     "members": [{"strategy_id": "rsi_mean_reversion", "weight": 0.5},
                 {"strategy_id": "supertrend_trend", "weight": 0.5}],
     "sizing": {"method": "equal_weight"},
     "limits": {"max_positions": 2, "max_symbol_weight": 0.25, "max_sector_weight": 0.45,
                "max_gross_exposure": 0.42, "min_cash_weight": 0.6}},
]
SCENARIO_VARS = {"strategies": STRATEGIES, "portfolios": PORTFOLIOS}


def jump_volatility(con) -> None:
    """Multiply JUMPING_SYMBOL's daily close-to-close returns by 10 between JUMP_FROM and JUMP_TO
    (each at least -90%), scaling its open, high and low with its close, so rows stay consistent."""
    rows = con.execute(f"select trade_date, close from {SOURCE_SCHEMA}.market_data where symbol = ?"
                       " order by trade_date", [JUMPING_SYMBOL]).df()
    returns = rows["close"].pct_change().fillna(0.0)
    in_jump = (rows["trade_date"] >= pd.Timestamp(JUMP_FROM)) & (rows["trade_date"] <= pd.Timestamp(JUMP_TO))
    new_returns = np.where(in_jump, np.maximum(10 * returns, -0.9), returns)
    new_close = rows["close"].iloc[0] * np.cumprod(1 + new_returns)
    factors = pd.DataFrame({"trade_date": rows["trade_date"], "factor": new_close / rows["close"]})
    con.register("jump_factors", factors)
    con.execute(f"""
        update {SOURCE_SCHEMA}.market_data as m
        set open = m.open * f.factor, high = m.high * f.factor, low = m.low * f.factor, close = m.close * f.factor
        from jump_factors as f
        where m.symbol = '{JUMPING_SYMBOL}' and m.trade_date = f.trade_date
    """)
    con.unregister("jump_factors")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    warehouse = tmp_path_factory.mktemp("portfolio_scenario") / "warehouse.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_DUCKDB_PATH", str(warehouse))
        with connect(warehouse) as con:
            load_paths(con, [SAMPLE_MARKET_DATA])
            con.execute(f"delete from {SOURCE_SCHEMA}.market_data where symbol not in ?", [SECTOR_SYMBOLS])
            jump_volatility(con)
        # int_portfolio_return_volatility: the view of the volatility windows (not an input of the marts,
        # which compute them over their bounded read), read by the volatility jump test
        outcome = run_dbt(["build", "--select", "+portfolio_exposures", "strategy_param_sets",
                           "int_portfolio_return_volatility", "--exclude-resource-type", "unit_test",
                           "--indirect-selection", "cautious"],
                          target_path=str(warehouse.parent / "target"), vars=SCENARIO_VARS)
    # the build ran every data test of the portfolio models, the limit tests among them
    assert outcome.success, outcome.error or outcome.failures
    ran = {r["unique_id"].split(".")[2] for r in outcome.results if r["unique_id"].startswith("test.")}
    assert {"portfolio_weights_within_limits_portfolio_weights_",
            "portfolio_exposures_within_limits_portfolio_exposures_"} <= ran
    return warehouse


def test_the_scenario_pushes_every_limit_and_none_is_breached(scenario):
    with duckdb.connect(str(scenario), read_only=True) as con:
        weights = assert_equals_reference(con, PORTFOLIOS)
        assert_exposures_sum_weights(con, weights)
    assert breaches(weights, PORTFOLIOS) == []
    assert set(weights["sector"]) == {"Financial Services"}
    for portfolio in PORTFOLIOS:
        rows = weights[weights["portfolio_id"] == portfolio["id"]]
        recorded = {reason for reasons in rows["clip_reason"].dropna() for reason in reasons.split(",")}
        assert recorded == set(portfolio["limits"]), portfolio["id"]
        clipped = rows["target_weight"] < rows["raw_weight"]
        assert (clipped == rows["clip_reason"].notna()).all()
        held = (rows["raw_weight"] > 0).groupby(rows["trade_date"]).sum()
        if "max_positions" in portfolio["limits"]:
            assert held.max() > portfolio["limits"]["max_positions"], portfolio["id"]
    crowded = weights[weights["portfolio_id"] == "crowded_inverse_vol"]
    assert set(crowded["clip_reason"].dropna()) >= {",".join(LIMIT_ORDER[1:])}  # one row clipped by four


def test_the_volatility_jump_shows_in_the_sizing_inputs(scenario):
    with duckdb.connect(str(scenario), read_only=True) as con:
        sigma = con.execute(
            f"select trade_date, return_volatility from {INTERMEDIATE_SCHEMA}.int_portfolio_return_volatility"
            " where symbol = ? and lookback_days = 20 order by trade_date", [JUMPING_SYMBOL]).df()
    sigma["trade_date"] = pd.to_datetime(sigma["trade_date"])
    before = sigma.loc[sigma["trade_date"] < pd.Timestamp(JUMP_FROM), "return_volatility"].tail(60).median()
    inside = sigma.loc[(sigma["trade_date"] > pd.Timestamp(JUMP_FROM) + pd.Timedelta(days=40))
                       & (sigma["trade_date"] <= pd.Timestamp(JUMP_TO)), "return_volatility"].median()
    assert 7 < inside / before < 13


# The marts are incremental: their data tests check the rows the dbt invocation wrote (`where:
# __rows_of_this_run__`, computed_at >= the run's start), so the broken rows are stamped as if the
# test invocation had written them.
STAMPED_NOW = "computed_at = current_timestamp + interval 1 day"


def test_a_weight_above_its_limit_fails_the_data_tests(scenario, tmp_path):
    broken = tmp_path / "broken.duckdb"
    shutil.copy(scenario, broken)
    with duckdb.connect(str(broken)) as con:
        con.execute(f"""
            update {MARTS_SCHEMA}.portfolio_weights set raw_weight = 0.9, target_weight = 0.9, {STAMPED_NOW}
            where portfolio_id = 'crowded_inverse_vol'
                and (trade_date, symbol) = (select (trade_date, symbol) from {MARTS_SCHEMA}.portfolio_weights
                                            where portfolio_id = 'crowded_inverse_vol' order by all limit 1)""")
        con.execute(f"""
            update {MARTS_SCHEMA}.portfolio_exposures set weight = 0.95, {STAMPED_NOW}
            where portfolio_id = 'crowded_atr_risk' and sector = 'Financial Services'
                and trade_date = (select min(trade_date) from {MARTS_SCHEMA}.portfolio_exposures
                                  where portfolio_id = 'crowded_atr_risk')""")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_DUCKDB_PATH", str(broken))
        outcome = run_dbt(["test", "--select", "portfolio_weights", "portfolio_exposures"],
                          target_path=str(tmp_path / "target"), vars=SCENARIO_VARS)
    assert not outcome.success
    failed = {r["unique_id"].split(".")[2]: r for r in outcome.failures}
    assert set(failed) == {"portfolio_weights_within_limits_portfolio_weights_",
                           "portfolio_exposures_within_limits_portfolio_exposures_"}
    assert {r["status"] for r in failed.values()} == {"fail"}  # severity error: a failure, not a warning
    assert all(r["failures"] == 1 for r in failed.values())


# ---- invalid declarations ------------------------------------------------------------------------------

VALID = PORTFOLIOS[0]
DISABLED = {"id": "rsi_disabled", "type": "rsi_mean_reversion", "enabled": False, "params": {"period": 21}}


@pytest.mark.parametrize(("change", "message"), [
    ({"sizing": {"method": "kelly"}}, "unknown sizing method 'kelly'"),
    ({"members": [{"strategy_id": "no_such_strategy", "weight": 1}]}, "unknown member strategy 'no_such_strategy'"),
    ({"members": [{"strategy_id": "rsi_disabled", "weight": 1}]}, "member strategy 'rsi_disabled' is disabled"),
    ({"members": [{"strategy_id": "rsi_mean_reversion", "weight": -0.5}]},
     "member rsi_mean_reversion: weight must be a number >= 0"),
    ({"limits": {"max_leverage": 2}}, "unknown limit 'max_leverage'"),
    ({"rebalance": "hourly"}, "rebalance must be daily, weekly or monthly"),
    ({"sizing": {"method": "volatility_target", "target": 0.1}, "limits": {}},
     "volatility_target needs limits.max_gross_exposure"),
    ({"sizing": {"method": "atr_risk", "risk_per_trade": 0.01, "atr_period": 20}},
     "unknown parameter 'atr_period' for sizing method atr_risk"),
])
def test_an_invalid_portfolio_fails_compilation(change, message, warehouse_path, tmp_path):
    portfolio = {**VALID, **change}
    outcome = run_dbt(["compile", "--select", "int_portfolios"], target_path=str(tmp_path / "target"),
                      vars={"strategies": [*STRATEGIES, DISABLED], "portfolios": [portfolio]})
    assert not outcome.success
    assert f"portfolio {VALID['id']}: {message}" in str(outcome.error)
