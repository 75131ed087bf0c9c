"""The backtest marts against independent references on the bundled sample.

- an independent pandas backtest written from the execution rules reproduces `trades` and
  `equity_curve` for every strategy, with the india_delivery costs and with cost_model zero;
- the metrics of `performance` equal empyrical-reloaded's computed from `equity_curve`;
- buy-and-hold across the EICHERMOT split and the RELIANCE bonus equals the economic return;
- the normal CDF / inverse CDF macros match scipy.
"""

from __future__ import annotations

import math
import re
import shutil
import sys
from pathlib import Path

import duckdb
import empyrical
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from strategy_engine.dbt_invoke import run_dbt
from strategy_engine.loading import load_paths
from strategy_engine.paths import PROJECT_DIR, SAMPLE_MARKET_DATA
from strategy_engine.warehouse import connect

TOLERANCE = 1e-9
PORTFOLIO = "__PORTFOLIO__"
MAX_POSITIONS = 10
INDIA_DELIVERY = {
    "buy": 0.001 + 0.0000297 + 0.000001 + 0.00015 + 0.18 * (0.0000297 + 0.000001) + 0.0005,
    "sell": 0.001 + 0.0000297 + 0.000001 + 0.18 * (0.0000297 + 0.000001) + 0.0005,
}
ZERO_COST = {"buy": 0.0, "sell": 0.0}


def _read(warehouse: Path, sql: str) -> pd.DataFrame:
    with connect(warehouse) as con:
        frame = con.execute(sql).df()
    for column in frame.columns:
        if column.endswith("_date") and frame[column].dtype != object:
            frame[column] = pd.to_datetime(frame[column])
    return frame


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory) -> dict[str, Path]:
    """The sample built with india_delivery costs, and a copy rebuilt downstream with cost_model zero."""
    root = tmp_path_factory.mktemp("backtest")
    # same file name: DuckDB names the catalog after it and dbt's compiled SQL refers to the catalog
    (root / "costed").mkdir()
    (root / "zero").mkdir()
    costed = root / "costed" / "warehouse.duckdb"
    zero = root / "zero" / "warehouse.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_DUCKDB_PATH", str(costed))
        with connect(costed) as con:
            load_paths(con, [SAMPLE_MARKET_DATA])
        outcome = run_dbt(
            ["build", "--select", "+walk_forward", "portfolio_drawdown", "--exclude-resource-type", "test"],
            target_path=str(root / "target"),
        )
        assert outcome.success, outcome.error or outcome.results
        with connect(costed) as con:
            con.execute("checkpoint")  # fold the write-ahead log into the file before copying it
        shutil.copy(costed, zero)
        patch.setenv("SE_DUCKDB_PATH", str(zero))
        outcome = run_dbt(
            # trades and equity_curve are incremental: a new cost model needs a full refresh
            ["run", "--select", "int_backtest_cost_rates+", "--full-refresh"],
            target_path=str(root / "target_zero"),
            vars={"cost_model": "zero"},
        )
        assert outcome.success, outcome.error or outcome.results
    return {"india_delivery": costed, "zero": zero}


# --- the independent reference backtest --------------------------------------------------------


def reference_trades(prices: pd.DataFrame, signals: pd.DataFrame, costs: dict[str, float]) -> pd.DataFrame:
    """Walk each (strategy, param set, symbol)'s signals in date order, exits before entries."""
    calendars = {symbol: rows.reset_index(drop=True) for symbol, rows in prices.groupby("symbol")}
    ordered = signals.assign(order=signals["signal_type"].map({"EXIT_LONG": 0, "ENTRY_LONG": 1}))
    ordered = ordered.sort_values(["strategy_id", "param_set_id", "symbol", "signal_date", "order"])
    rows: list[dict] = []
    for (strategy_id, param_set_id, symbol), group in ordered.groupby(["strategy_id", "param_set_id", "symbol"]):
        calendar = calendars[symbol]
        position_of = {date: index for index, date in enumerate(calendar["trade_date"])}
        last = len(calendar) - 1
        entry_signal = None
        for signal in group.itertuples():
            if entry_signal is None and signal.signal_type == "ENTRY_LONG":
                entry_signal = signal.signal_date
            elif entry_signal is not None and signal.signal_type == "EXIT_LONG" and signal.signal_date > entry_signal:
                rows.append(_trade(strategy_id, param_set_id, symbol, calendar, position_of, entry_signal,
                                   signal.signal_date, signal.exit_reason, costs))
                entry_signal = None
        if entry_signal is not None and position_of[entry_signal] < last:
            rows.append(_trade(strategy_id, param_set_id, symbol, calendar, position_of, entry_signal, None, None,
                               costs))
    return pd.DataFrame([row for row in rows if row is not None])


def _trade(strategy_id, param_set_id, symbol, calendar, position_of, entry_signal, exit_signal, exit_reason, costs):
    last = len(calendar) - 1
    entry_index = position_of[entry_signal] + 1
    if entry_index > last:
        return None
    exit_index = None if exit_signal is None or position_of[exit_signal] == last else position_of[exit_signal] + 1
    entry_price = calendar["open"][entry_index]
    is_open = exit_index is None
    exit_price = calendar["close"][last] if is_open else calendar["open"][exit_index]
    exit_cost = 0.0 if is_open else costs["sell"]
    return {
        "strategy_id": strategy_id, "param_set_id": param_set_id, "symbol": symbol,
        "entry_date": calendar["trade_date"][entry_index],
        "exit_date": pd.NaT if is_open else calendar["trade_date"][exit_index],
        "marked_index": last if is_open else exit_index, "entry_index": entry_index,
        "is_open": is_open, "exit_reason": None if is_open else exit_reason,
        "entry_price": entry_price, "exit_price": exit_price,
        "holding_days": (last if is_open else exit_index) - entry_index,
        "gross_return": exit_price / entry_price - 1.0,
        "net_return": (1 - costs["buy"]) * (1 - exit_cost) * exit_price / entry_price - 1.0,
        "entry_cost": costs["buy"], "exit_cost": exit_cost,
    }


def reference_equity(prices: pd.DataFrame, trades: pd.DataFrame, param_sets: pd.DataFrame) -> pd.DataFrame:
    """Daily net returns per symbol from the trades, then the capped equal-weight portfolio."""
    calendars = {symbol: rows.reset_index(drop=True) for symbol, rows in prices.groupby("symbol")}
    frames = []
    active_rows = []
    for param_set in param_sets.itertuples():
        mine = trades[(trades["strategy_id"] == param_set.strategy_id)
                      & (trades["param_set_id"] == param_set.param_set_id)]
        by_symbol = dict(iter(mine.groupby("symbol")))
        for symbol, calendar in calendars.items():
            factors = np.ones(len(calendar))
            active = np.zeros(len(calendar), dtype=bool)
            entry_of = np.full(len(calendar), np.datetime64("NaT"), dtype="datetime64[ns]")
            opens, closes = calendar["open"].to_numpy(), calendar["close"].to_numpy()
            for trade in by_symbol.get(symbol, mine.iloc[0:0]).itertuples():
                for index in range(trade.entry_index, trade.marked_index + 1):
                    if index == trade.entry_index:
                        factor = (1 - trade.entry_cost) * closes[index] / opens[index]
                    elif index == trade.marked_index and not trade.is_open:
                        factor = (1 - trade.exit_cost) * opens[index] / closes[index - 1]
                    else:
                        factor = closes[index] / closes[index - 1]
                    factors[index] *= factor
                    if not active[index]:
                        entry_of[index] = np.datetime64(trade.entry_date)
                    active[index] = True
            returns = factors - 1.0
            frame = pd.DataFrame({
                "strategy_id": param_set.strategy_id, "param_set_id": param_set.param_set_id, "symbol": symbol,
                "trade_date": calendar["trade_date"], "net_return": returns, "equity": np.cumprod(1 + returns),
            })
            frames.append(frame)
            active_rows.append(frame.assign(entry_date=entry_of)[active])
    symbols = pd.concat(frames, ignore_index=True)
    active = pd.concat(active_rows, ignore_index=True).sort_values(
        ["strategy_id", "param_set_id", "trade_date", "entry_date", "symbol"])
    active["slot"] = active.groupby(["strategy_id", "param_set_id", "trade_date"]).cumcount() + 1
    portfolio_mean = (active[active["slot"] <= MAX_POSITIONS]
                      .groupby(["strategy_id", "param_set_id", "trade_date"])["net_return"].mean())
    dates = pd.Series(sorted(prices["trade_date"].unique()), name="trade_date")
    portfolios = []
    for param_set in param_sets.itertuples():
        frame = pd.DataFrame({"trade_date": dates})
        frame["strategy_id"], frame["param_set_id"], frame["symbol"] = (
            param_set.strategy_id, param_set.param_set_id, PORTFOLIO)
        key = pd.MultiIndex.from_arrays([frame["strategy_id"], frame["param_set_id"], frame["trade_date"]])
        frame["net_return"] = portfolio_mean.reindex(key).fillna(0.0).to_numpy()
        frame["equity"] = np.cumprod(1 + frame["net_return"])
        portfolios.append(frame)
    return pd.concat([symbols, *portfolios], ignore_index=True)


@pytest.fixture(scope="module", params=["india_delivery", "zero"])
def built(request, warehouses):
    warehouse = warehouses[request.param]
    costs = INDIA_DELIVERY if request.param == "india_delivery" else ZERO_COST
    prices = _read(warehouse, "select symbol, trade_date, open, close from intermediate.int_market_data_adjusted "
                              "order by symbol, trade_date")
    signals = _read(warehouse, "select strategy_id, param_set_id, symbol, signal_date, signal_type, exit_reason "
                               "from strategy_data.signals")
    return {
        "costs": costs, "prices": prices, "signals": signals,
        "trades": _read(warehouse, "select * from strategy_data.trades"),
        "equity_curve": _read(warehouse, "select * from strategy_data.equity_curve"),
        "performance": _read(warehouse, 'select * from strategy_data.performance'),
    }


def test_every_strategy_has_trades(built):
    assert built["signals"]["strategy_id"].nunique() >= 4
    assert set(built["trades"]["strategy_id"]) == set(built["signals"]["strategy_id"])


def test_trades_match_the_reference_backtest(built):
    expected = reference_trades(built["prices"], built["signals"], built["costs"])
    keys = ["strategy_id", "param_set_id", "symbol", "entry_date"]
    merged = expected.merge(built["trades"], on=keys, how="outer", suffixes=("_ref", ""), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"][keys + ["_merge"]].head()
    assert (merged["is_open_ref"] == merged["is_open"]).all()
    assert (merged["exit_date_ref"].fillna(pd.Timestamp(0)) == merged["exit_date"].fillna(pd.Timestamp(0))).all()
    assert (merged["holding_days_ref"] == merged["holding_days"]).all()
    assert (merged["exit_reason_ref"].fillna("") == merged["exit_reason"].fillna("")).all()
    for column in ["entry_price", "exit_price", "gross_return", "net_return"]:
        np.testing.assert_allclose(merged[column], merged[f"{column}_ref"], rtol=0, atol=TOLERANCE)


def test_equity_curve_matches_the_reference_backtest(built):
    trades = reference_trades(built["prices"], built["signals"], built["costs"])
    param_sets = built["signals"][["strategy_id", "param_set_id"]].drop_duplicates()
    expected = reference_equity(built["prices"], trades, param_sets)
    keys = ["strategy_id", "param_set_id", "symbol", "trade_date"]
    merged = expected.merge(built["equity_curve"], on=keys, how="outer", suffixes=("_ref", ""), indicator=True)
    assert (merged["_merge"] == "both").all()
    assert merged["symbol"].eq(PORTFOLIO).any()
    for column in ["net_return", "equity"]:
        np.testing.assert_allclose(merged[column], merged[f"{column}_ref"], rtol=0, atol=TOLERANCE)


def test_zero_cost_mode_equals_gross(warehouses):
    zero = _read(warehouses["zero"], "select net_return, gross_return from strategy_data.equity_curve")
    costed = _read(warehouses["india_delivery"], "select net_return, gross_return from strategy_data.trades")
    np.testing.assert_allclose(zero["net_return"], zero["gross_return"], rtol=0, atol=1e-12)
    assert (costed["net_return"] < costed["gross_return"]).all()


# --- metrics against empyrical ------------------------------------------------------------------


def _windows(dates: pd.Series, last: pd.Timestamp) -> dict[str, pd.Series]:
    windows = {"full": dates == dates, "last_1y": dates > last - pd.DateOffset(years=1),
               "ytd": dates.dt.year == last.year}
    for year in sorted(dates.dt.year.unique()):
        windows[str(year)] = dates.dt.year == year
    return windows


def test_performance_matches_empyrical(warehouses):
    warehouse = warehouses["india_delivery"]
    curve = _read(warehouse, "select * from strategy_data.equity_curve order by strategy_id, param_set_id, symbol, "
                             "trade_date")
    performance = _read(warehouse, "select * from strategy_data.performance").set_index(
        ["strategy_id", "param_set_id", "symbol", "window"])
    last = curve["trade_date"].max()
    symbols = ["__PORTFOLIO__", "RELIANCE", "INFY", "EICHERMOT"]
    checked = 0
    for (strategy_id, param_set_id, symbol), rows in curve[curve["symbol"].isin(symbols)].groupby(
            ["strategy_id", "param_set_id", "symbol"]):
        for window, mask in _windows(rows["trade_date"], last).items():
            part = rows[mask.to_numpy()]
            returns, benchmark = part["net_return"].to_numpy(), part["benchmark_return"].to_numpy()
            row = performance.loc[(strategy_id, param_set_id, symbol, window)]
            expected = {
                "total_return": empyrical.cum_returns_final(returns),
                "cagr": empyrical.annual_return(returns),
                "annual_volatility": empyrical.annual_volatility(returns),
                "sharpe_ratio": empyrical.sharpe_ratio(returns),
                "sortino_ratio": empyrical.sortino_ratio(returns),
                "max_drawdown": empyrical.max_drawdown(returns),
                "calmar_ratio": empyrical.calmar_ratio(returns),
                "beta": empyrical.beta(returns, benchmark),
                "alpha": empyrical.alpha(returns, benchmark),
                "skewness": stats.skew(returns),
                "excess_kurtosis": stats.kurtosis(returns),
                "benchmark_total_return": empyrical.cum_returns_final(benchmark),
                "benchmark_cagr": empyrical.annual_return(benchmark),
                "benchmark_annual_volatility": empyrical.annual_volatility(benchmark),
                "benchmark_sharpe_ratio": empyrical.sharpe_ratio(benchmark),
            }
            for name, value in expected.items():
                actual = row[name]
                if value is None or not np.isfinite(value):
                    assert pd.isna(actual) or not np.isfinite(actual), (strategy_id, symbol, window, name)
                else:
                    assert actual == pytest.approx(value, rel=TOLERANCE, abs=TOLERANCE), (
                        strategy_id, param_set_id, symbol, window, name, actual, value)
            deviation = returns.std(ddof=1)
            if deviation > 0:
                sharpe = returns.mean() / deviation
                skew, kurt = stats.skew(returns), stats.kurtosis(returns, fisher=False)
                psr = stats.norm.cdf(sharpe * math.sqrt(len(returns) - 1)
                                     / math.sqrt(1 - skew * sharpe + (kurt - 1) / 4 * sharpe**2))
                assert row["probabilistic_sharpe_ratio"] == pytest.approx(psr, abs=1e-9)
            else:
                assert pd.isna(row["probabilistic_sharpe_ratio"])
            checked += 1
    assert checked >= 50


def test_portfolio_drawdown_follows_performances_rule(warehouses):
    """Issue 15: the report's drawdown series (portfolio_drawdown) and performance's max_drawdown are
    one rule: the peak starts at the initial equity of 1, so the series' minimum is max_drawdown."""
    warehouse = warehouses["india_delivery"]
    drawdown = _read(warehouse, "select * from strategy_data.portfolio_drawdown order by all")
    curve = _read(warehouse, "select strategy_id, param_set_id, trade_date, equity, net_return "
                             "from strategy_data.equity_curve where symbol = '__PORTFOLIO__' order by all")
    full = _read(warehouse, "select strategy_id, param_set_id, max_drawdown from strategy_data.performance "
                            "where symbol = '__PORTFOLIO__' and \"window\" = 'full'")
    assert len(drawdown) == len(curve) and not drawdown.empty
    for (strategy_id, param_set_id), rows in curve.groupby(["strategy_id", "param_set_id"]):
        series = drawdown[(drawdown["strategy_id"] == strategy_id) & (drawdown["param_set_id"] == param_set_id)]
        equity = rows["equity"].to_numpy()
        expected = equity / np.maximum(np.maximum.accumulate(equity), 1.0) - 1.0
        np.testing.assert_allclose(series["drawdown"].to_numpy(), expected, rtol=0, atol=TOLERANCE)
        max_drawdown = full[(full["strategy_id"] == strategy_id) & (full["param_set_id"] == param_set_id)]
        assert series["drawdown"].min() == pytest.approx(max_drawdown["max_drawdown"].iloc[0], abs=TOLERANCE)
        assert series["drawdown"].min() == pytest.approx(empyrical.max_drawdown(rows["net_return"].to_numpy()),
                                                         abs=TOLERANCE)


def test_performance_table_reads_the_benchmark_from_the_mart(warehouses):
    """scripts/performance_table.py reads the universe benchmark's metrics from performance; they are
    the figures it used to recompute from equity_curve."""
    sys.path.insert(0, str(PROJECT_DIR / "scripts"))
    import performance_table

    recomputed = """
        select
            exp(sum(ln(1 + benchmark_return))) - 1 as total_return,
            pow(exp(sum(ln(1 + benchmark_return))), 252.0 / count(*)) - 1 as cagr,
            stddev_samp(benchmark_return) * sqrt(252) as annual_volatility,
            avg(benchmark_return) / stddev_samp(benchmark_return) * sqrt(252) as sharpe_ratio
        from (select distinct trade_date, benchmark_return from strategy_data.equity_curve
              where symbol = '__PORTFOLIO__')
    """
    warehouse = warehouses["india_delivery"]
    read = _read(warehouse, performance_table.BENCHMARK_QUERY).iloc[0]
    expected = _read(warehouse, recomputed).iloc[0]
    for name in ["total_return", "cagr", "annual_volatility", "sharpe_ratio"]:
        assert read[name] == pytest.approx(expected[name], rel=1e-9, abs=1e-12), name
    queries = performance_table.QUERY + performance_table.BENCHMARK_QUERY
    assert not re.search(r"stddev|sqrt|\bln\(|\bexp\(|pow\(", queries)


def test_deflated_sharpe_ratio_of_grids(warehouses):
    performance = _read(warehouses["india_delivery"], "select * from strategy_data.performance")
    grids = performance[performance["num_trials"] > 1]
    assert not grids.empty
    for _, trials in grids.groupby(["strategy_id", "symbol", "window"]):
        n = len(trials)
        sharpes = trials["daily_sharpe_ratio"].dropna().to_numpy()
        if len(sharpes) < 2:
            continue
        gamma = 0.5772156649015329
        expected_max = np.std(sharpes, ddof=1) * ((1 - gamma) * stats.norm.ppf(1 - 1 / n)
                                                  + gamma * stats.norm.ppf(1 - 1 / (n * math.e)))
        np.testing.assert_allclose(trials["expected_max_daily_sharpe"], expected_max, rtol=1e-8, atol=1e-12)
        row = trials.dropna(subset=["daily_sharpe_ratio", "skewness"]).iloc[0]
        skew, kurt = row["skewness"], row["excess_kurtosis"] + 3
        sr = row["daily_sharpe_ratio"]
        dsr = stats.norm.cdf((sr - expected_max) * math.sqrt(row["trading_days"] - 1)
                             / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2))
        assert row["deflated_sharpe_ratio"] == pytest.approx(dsr, abs=1e-8)
    assert performance.loc[performance["num_trials"] == 1, "deflated_sharpe_ratio"].isna().all()


# --- corporate actions ---------------------------------------------------------------------------


@pytest.mark.parametrize(("symbol", "start", "end", "price_factor"), [
    ("EICHERMOT", "2020-08-03", "2020-09-15", 0.1),
    ("RELIANCE", "2017-08-21", "2017-09-29", 0.5),
])
def test_buy_and_hold_across_corporate_actions(warehouses, symbol, start, end, price_factor):
    warehouse = warehouses["india_delivery"]
    curve = _read(warehouse, f"select trade_date, benchmark_equity, benchmark_return "
                             f"from strategy_data.equity_curve "
                             f"where symbol = '{symbol}' and trade_date between '{start}' and '{end}' "
                             f"order by strategy_id, param_set_id, trade_date")
    raw = _read(warehouse, "select trade_date, raw_close, close, adjustment_factor "
                           "from intermediate.int_market_data_adjusted "
                           f"where symbol = '{symbol}' and trade_date between '{start}' and '{end}' "
                           f"order by trade_date")
    first = curve.groupby("trade_date")["benchmark_equity"].first()
    bought = first.iloc[-1] / first.iloc[0] - 1
    # holding through the action: the raw price drops by the factor, the share count rises by its inverse
    adjusted = (raw["raw_close"].iloc[-1] * raw["adjustment_factor"].iloc[-1]
                / (raw["raw_close"].iloc[0] * raw["adjustment_factor"].iloc[0])) - 1
    assert raw["adjustment_factor"].iloc[0] == pytest.approx(price_factor, rel=1e-7)
    assert bought == pytest.approx(adjusted, abs=TOLERANCE)
    assert bought == pytest.approx(raw["close"].iloc[-1] / raw["close"].iloc[0] - 1, abs=TOLERANCE)
    # the seed's nominal factor on the raw prices: equal up to the single precision the prices are stored in
    economic = raw["raw_close"].iloc[-1] / (raw["raw_close"].iloc[0] * price_factor) - 1
    assert bought == pytest.approx(economic, abs=1e-7)
    assert curve["benchmark_return"].abs().max() < 0.2


# --- the normal distribution macros ---------------------------------------------------------------


def test_normal_macros_match_scipy():
    grid = np.concatenate([np.linspace(-38, 38, 761), np.linspace(-3, 3, 601)])
    tails = np.logspace(-12, -1, 45)
    probabilities = np.concatenate([tails, np.linspace(0.01, 0.99, 99), 1 - tails])
    values = ", ".join(f"({float(x)!r})" for x in grid)
    cdf_sql = run_macro_query("normal_cdf", values)
    np.testing.assert_allclose(cdf_sql, stats.norm.cdf(grid), rtol=0, atol=1e-14)
    ppf_sql = run_macro_query("normal_ppf", ", ".join(f"({float(p)!r})" for p in probabilities))
    np.testing.assert_allclose(ppf_sql, stats.norm.ppf(probabilities), rtol=1.2e-9, atol=1e-12)


def run_macro_query(macro: str, values: str) -> np.ndarray:
    """Render a statistics macro with plain jinja and evaluate it on DuckDB for each value."""
    from jinja2 import Environment, FileSystemLoader

    macros_dir = Path(__file__).resolve().parents[2] / "macros" / "statistics"
    env = Environment(loader=FileSystemLoader(str(macros_dir)))
    module = env.get_template(f"{macro}.sql").module
    expression = getattr(module, macro)("x")
    with duckdb.connect() as con:
        query = f"select {expression} from (select cast(v as double) as x from (values {values}) as t(v))"
        return con.execute(query).df().iloc[:, 0].to_numpy()
