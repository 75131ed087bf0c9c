"""An independent pandas implementation of the portfolio sizing and limits of issue 16
(docs/PORTFOLIOS.md), computed from the marts' inputs: positions, adjusted closes, the indicators'
ATR(14), the symbol_universe seed file and the declared portfolios. The tests compare it with the
mart portfolio_weights; nothing here reads the portfolio models.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
import pandas as pd

from strategy_engine.paths import PROJECT_DIR
from strategy_engine.schemas import INTERMEDIATE_SCHEMA, MARTS_SCHEMA

LIMIT_ORDER = ["max_positions", "max_symbol_weight", "max_sector_weight", "max_gross_exposure", "min_cash_weight"]
METHOD_DEFAULTS = {
    "equal_weight": {},
    "inverse_volatility": {"lookback": 60},
    "volatility_target": {"lookback": 60, "base": "inverse_volatility"},
    "atr_risk": {"atr_multiple": 2},
}
WEEK_ORIGIN = date(1970, 1, 5)  # a Monday
ROUNDING = 1e-12  # a weight limit acts when exceeded by more than this (docs/PORTFOLIOS.md)


def read_inputs(con) -> dict[str, pd.DataFrame]:
    """Positions held after the close, adjusted closes, ATR(14) and the enabled parameter sets."""
    positions = con.execute(
        f"select strategy_id, param_set_id, symbol, trade_date, entry_signal_date, close_price"
        f" from {MARTS_SCHEMA}.positions where in_position").df()
    closes = con.execute(
        f"select symbol, trade_date, close from {INTERMEDIATE_SCHEMA}.int_market_data_adjusted").df()
    atr = con.execute(f"select symbol, trade_date, atr_14 from {MARTS_SCHEMA}.indicators").df()
    param_sets = con.execute(
        f"select strategy_id, param_set_id from {MARTS_SCHEMA}.strategy_param_sets where enabled").df()
    for frame in (positions, closes, atr):
        frame["trade_date"] = pd.to_datetime(frame["trade_date"])
    positions["entry_signal_date"] = pd.to_datetime(positions["entry_signal_date"])
    return {"positions": positions, "closes": closes, "atr": atr, "param_sets": param_sets}


def read_universe() -> pd.DataFrame:
    with open(PROJECT_DIR / "seeds" / "symbol_universe.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return pd.DataFrame({"symbol": [r["symbol"] for r in rows], "sector": [r["sector"] for r in rows],
                         "lot_size": [int(r["lot_size"]) for r in rows]})


def calendar(closes: pd.DataFrame) -> pd.DataFrame:
    """Sessions (any symbol traded), numbered, with the first session of each week and month."""
    days = pd.DataFrame({"trade_date": np.sort(closes["trade_date"].unique())})
    days["session_number"] = np.arange(1, len(days) + 1)
    weeks = (days["trade_date"] - pd.Timestamp(WEEK_ORIGIN)).dt.days // 7
    months = days["trade_date"].dt.year * 12 + days["trade_date"].dt.month
    days["first_of_week"] = weeks.ne(weeks.shift())
    days["first_of_month"] = months.ne(months.shift())
    return days


def returns_table(closes: pd.DataFrame) -> pd.DataFrame:
    frame = closes.sort_values(["symbol", "trade_date"]).copy()
    frame["daily_return"] = frame.groupby("symbol")["close"].pct_change(fill_method=None)
    return frame


def reference_weights(portfolios: Sequence[Mapping], inputs: Mapping[str, pd.DataFrame],
                      universe: pd.DataFrame | None = None) -> pd.DataFrame:
    """portfolio_weights' keys and values for the declared portfolios, computed in pandas."""
    universe = read_universe() if universe is None else universe
    days = calendar(inputs["closes"])
    returns = returns_table(inputs["closes"]).merge(days[["trade_date", "session_number"]], on="trade_date")
    # sessions x symbols, a missing day as a 0 return
    return_matrix = returns.pivot(index="session_number", columns="symbol", values="daily_return").reindex(
        days["session_number"]).fillna(0.0)
    frames = [_one_portfolio(p, inputs, universe, days, returns, return_matrix) for p in portfolios]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _members(portfolio: Mapping, param_sets: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for member in portfolio["members"]:
        param_set_id = member.get("param_set_id")
        if param_set_id is None:
            (param_set_id,) = param_sets.loc[param_sets["strategy_id"] == member["strategy_id"], "param_set_id"]
        rows.append((member["strategy_id"], param_set_id, float(member["weight"])))
    return pd.DataFrame(rows, columns=["strategy_id", "param_set_id", "member_weight"])


def _one_portfolio(portfolio, inputs, universe, days, returns, return_matrix) -> pd.DataFrame:
    sizing = {**METHOD_DEFAULTS[portfolio["sizing"]["method"]], **portfolio["sizing"]}
    method, capital = sizing["method"], float(portfolio["capital"])
    limits = portfolio.get("limits") or {}
    held = inputs["positions"].merge(_members(portfolio, inputs["param_sets"]), on=["strategy_id", "param_set_id"])
    held = held.merge(days, on="trade_date").merge(universe, on="symbol", how="left")
    held["sector"] = held["sector"].fillna("Unknown")
    held["lot_size"] = held["lot_size"].fillna(1)
    member_key = ["strategy_id", "param_set_id"]

    base = sizing.get("base", method) if method == "volatility_target" else method
    if base == "equal_weight":
        count = held.groupby([*member_key, "trade_date"])["symbol"].transform("size")
        held["base_weight"] = held["member_weight"] / count
    elif base == "inverse_volatility":
        lookback = int(sizing["lookback"])
        vol = returns.copy()
        vol["sigma"] = vol.groupby("symbol")["daily_return"].transform(
            lambda r: r.rolling(lookback, min_periods=lookback).std(ddof=1))
        held = held.merge(vol[["symbol", "trade_date", "sigma"]], on=["symbol", "trade_date"], how="left")
        inverse = np.where(held["sigma"] > 0, 1.0 / held["sigma"], np.nan)
        held["inverse"] = inverse
        total = held.groupby([*member_key, "trade_date"])["inverse"].transform("sum")
        held["base_weight"] = np.where(held["sigma"] > 0, held["member_weight"] * held["inverse"] / total, 0.0)
    elif base == "atr_risk":
        held = held.merge(inputs["atr"], on=["symbol", "trade_date"], how="left")
        budget = capital * held["member_weight"] * float(sizing["risk_per_trade"])
        stop_distance = float(sizing["atr_multiple"]) * held["atr_14"]
        shares = np.floor(budget / stop_distance / held["lot_size"]) * held["lot_size"]
        held["base_weight"] = np.where(held["atr_14"] > 0, shares * held["close_price"] / capital, 0.0)

    if method == "volatility_target":
        lookback = int(sizing["lookback"])
        book = held.groupby(["trade_date", "session_number", "symbol"])["base_weight"].sum().reset_index()
        scale = {}
        for (day, session), rows in book.groupby(["trade_date", "session_number"]):
            if session <= lookback:
                scale[day] = 0.0
                continue
            window = return_matrix.loc[session - lookback + 1:session, rows["symbol"].to_list()].to_numpy()
            predicted = np.std(window @ rows["base_weight"].to_numpy(), ddof=1) * math.sqrt(252)
            scale[day] = float(sizing["target"]) / predicted if predicted > 0 else 0.0
        held["day_weight"] = held["base_weight"] * held["trade_date"].map(scale)
    else:
        held["day_weight"] = held["base_weight"]

    rebalance = portfolio["rebalance"]
    rebalance_day = (True if rebalance == "daily" else held["first_of_week"] if rebalance == "weekly"
                     else held["first_of_month"])
    held["is_sizing_day"] = rebalance_day | (held["trade_date"] == held["entry_signal_date"])
    held = held.sort_values([*member_key, "symbol", "entry_signal_date", "trade_date"])
    holding = [*member_key, "symbol", "entry_signal_date"]
    held["member_raw"] = held["day_weight"].where(held["is_sizing_day"]).groupby(
        [held[c] for c in holding]).ffill()
    held["sized_on"] = held["trade_date"].where(held["is_sizing_day"]).groupby([held[c] for c in holding]).ffill()
    held["member_id"] = held["strategy_id"] + "/" + held["param_set_id"]

    book = held.groupby(["trade_date", "symbol", "sector", "lot_size"]).agg(
        raw_weight=("member_raw", "sum"), entry_signal_date=("entry_signal_date", "min"),
        sized_on=("sized_on", "max"), close_price=("close_price", "max"),
        members=("member_id", lambda ids: ",".join(sorted(ids)))).reset_index()
    book = apply_limits(book, limits)
    book["shares"] = (np.floor(book["target_weight"] * capital / book["close_price"] / book["lot_size"])
                      * book["lot_size"]).astype("int64")
    book.insert(0, "portfolio_id", portfolio["id"])
    return book


def apply_limits(book: pd.DataFrame, limits: Mapping) -> pd.DataFrame:
    """The five limits in their documented order, each only lowering weights; clip_reason lists the
    limits that lowered a row. book: one day or many (grouped by trade_date)."""
    book = book.sort_values(["trade_date", "raw_weight", "entry_signal_date", "symbol"],
                            ascending=[True, False, True, True]).reset_index(drop=True)
    steps = {}
    weight = book["raw_weight"].astype(float)
    if limits.get("max_positions") is not None:
        rank = book.groupby("trade_date").cumcount() + 1
        weight = weight.where(rank <= limits["max_positions"], 0.0)
    steps["max_positions"] = weight
    if limits.get("max_symbol_weight") is not None:
        cap = limits["max_symbol_weight"]
        weight = weight.where(~(weight > cap + ROUNDING), cap)
    steps["max_symbol_weight"] = weight
    if limits.get("max_sector_weight") is not None:
        cap = limits["max_sector_weight"]
        sector_total = weight.groupby([book["trade_date"], book["sector"]]).transform("sum")
        weight = weight.where(~(sector_total > cap + ROUNDING), weight * cap / sector_total)
    steps["max_sector_weight"] = weight
    if limits.get("max_gross_exposure") is not None:
        cap = limits["max_gross_exposure"]
        gross = weight.groupby(book["trade_date"]).transform("sum")
        weight = weight.where(~(gross > cap + ROUNDING), weight * cap / gross)
    steps["max_gross_exposure"] = weight
    if limits.get("min_cash_weight") is not None:
        cap = 1 - limits["min_cash_weight"]
        invested = weight.groupby(book["trade_date"]).transform("sum")
        weight = weight.where(~(invested > cap + ROUNDING), weight * cap / invested)
    steps["min_cash_weight"] = weight
    book["target_weight"] = weight
    reasons, previous = [], book["raw_weight"].astype(float)
    for name in LIMIT_ORDER:
        reasons.append(np.where(steps[name] < previous, name, ""))
        previous = steps[name]
    joined = [",".join(r for r in row if r) or None for row in zip(*reasons, strict=True)]
    book["clip_reason"] = joined
    return book


def breaches(weights: pd.DataFrame, portfolios: Sequence[Mapping], tolerance: float = 1e-9) -> list[str]:
    """Every limit breach of the target weights, computed from the rows (not from clip_reason)."""
    found = []
    for portfolio in portfolios:
        limits = portfolio.get("limits") or {}
        rows = weights[weights["portfolio_id"] == portfolio["id"]]
        by_day = rows.groupby("trade_date")["target_weight"]
        gross = by_day.sum()
        checks = {
            "max_positions": (rows["target_weight"] > 0).groupby(rows["trade_date"]).sum().max(),
            "max_symbol_weight": rows["target_weight"].max(),
            "max_sector_weight": rows.groupby(["trade_date", "sector"])["target_weight"].sum().max(),
            "max_gross_exposure": gross.max(),
            "min_cash_weight": 1 - gross.max(),
        }
        for name, value in checks.items():
            if limits.get(name) is None:
                continue
            limit = limits[name]
            broken = value < limit - tolerance if name == "min_cash_weight" else value > limit + tolerance
            if broken:
                found.append(f"{portfolio['id']}: {name} {value} against {limit}")
        if (rows["target_weight"] < 0).any() or (rows["target_weight"] > rows["raw_weight"] + tolerance).any():
            found.append(f"{portfolio['id']}: a target weight outside [0, raw_weight]")
    return found
