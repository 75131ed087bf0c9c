"""An independent pandas reference of the cross-sectional strategy types (issue 16), written from
their definitions in docs/STRATEGIES.md; it shares no code with the models or macros.

- Sessions are counted per symbol (its own rows, sorted by date); returns use adjusted closes.
- Rebalance day: the first session of a month (the previous day any symbol has a row is in an
  earlier month, or there is none).
- sector_rotation: relative strength = mean N-session return of the sector's symbols - mean
  N-session return of every symbol with one that day; sectors ranked 1.. by relative strength
  (descending, ties by sector name); a symbol is held when it has an N-session return and its
  sector ranks within the top K.
- cross_sectional_momentum: momentum = close `skip` sessions ago / close `lookback` sessions ago - 1;
  symbols ranked 1.. (descending, ties by symbol) among those with a value; held when
  rank <= max(1, floor(top_fraction x ranked symbols)).
- On a rebalance day a held symbol is an entry candidate and every other symbol an exit candidate;
  no candidate on other days.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from strategy_engine.paths import PROJECT_DIR

TYPES = ("sector_rotation", "cross_sectional_momentum")


def seed_sectors() -> dict[str, str]:
    """Symbol (upper case) -> sector, read from the symbol_universe seed's CSV."""
    seed = pd.read_csv(PROJECT_DIR / "seeds" / "symbol_universe.csv")
    return {symbol.upper(): sector for symbol, sector in seed[["symbol", "sector"]].itertuples(index=False)}


def rebalance_days(dates: pd.Series) -> set:
    """The first session of each month among the sessions (days with any row)."""
    sessions = sorted(set(dates))
    return {day for previous, day in zip([None, *sessions[:-1]], sessions, strict=True)
            if previous is None or (previous.year, previous.month) != (day.year, day.month)}


def _by_symbol(prices: pd.DataFrame) -> pd.core.groupby.SeriesGroupBy:
    return prices.sort_values(["symbol", "trade_date"]).groupby("symbol")["close"]


def sector_ranks(prices: pd.DataFrame, sectors: dict[str, str], lookback: int) -> pd.DataFrame:
    """Per (symbol, trade_date): sector, own return, sector relative strength and rank (NaN when
    the symbol has no sector or no return that day)."""
    frame = prices.sort_values(["symbol", "trade_date"]).reset_index(drop=True)
    closes = frame.groupby("symbol")["close"]
    frame["symbol_return"] = frame["close"] / closes.shift(lookback) - 1
    frame["sector"] = frame["symbol"].str.upper().map(sectors)
    with_return = frame[frame["symbol_return"].notna()]
    universe = with_return.groupby("trade_date")["symbol_return"].mean().rename("universe_return")
    per_sector = (with_return[with_return["sector"].notna()]
                  .groupby(["trade_date", "sector"])["symbol_return"].mean().rename("sector_return").reset_index())
    per_sector = per_sector.join(universe, on="trade_date")
    per_sector["relative_strength"] = per_sector["sector_return"] - per_sector["universe_return"]
    per_sector = per_sector.sort_values(["trade_date", "relative_strength", "sector"], ascending=[True, False, True])
    per_sector["sector_rank"] = per_sector.groupby("trade_date").cumcount() + 1
    out = frame.merge(per_sector[["trade_date", "sector", "relative_strength", "sector_rank"]],
                      on=["trade_date", "sector"], how="left")
    no_return = out["symbol_return"].isna()
    out.loc[no_return, ["relative_strength", "sector_rank"]] = np.nan
    return out


def momentum_ranks(prices: pd.DataFrame, lookback: int, skip: int) -> pd.DataFrame:
    """Per (symbol, trade_date): momentum, its rank that day and how many symbols were ranked."""
    frame = prices.sort_values(["symbol", "trade_date"]).reset_index(drop=True)
    closes = frame.groupby("symbol")["close"]
    frame["momentum"] = closes.shift(skip) / closes.shift(lookback) - 1
    ranked = frame[frame["momentum"].notna()].sort_values(["trade_date", "momentum", "symbol"],
                                                          ascending=[True, False, True])
    ranked["momentum_rank"] = ranked.groupby("trade_date").cumcount() + 1
    ranked["ranked_symbols"] = ranked.groupby("trade_date")["symbol"].transform("size")
    return frame.merge(ranked[["symbol", "trade_date", "momentum_rank", "ranked_symbols"]],
                       on=["symbol", "trade_date"], how="left")


def held(strategy_type: str, params: dict, prices: pd.DataFrame, sectors: dict[str, str]) -> pd.DataFrame:
    """Per (symbol, trade_date): whether the symbol is in the held set the day ranks."""
    if strategy_type == "sector_rotation":
        ranks = sector_ranks(prices, sectors, params["lookback"])
        ranks["held"] = ranks["sector_rank"] <= params["top_sectors"]
    elif strategy_type == "cross_sectional_momentum":
        ranks = momentum_ranks(prices, params["lookback"], params["skip"])
        cutoff = ranks["ranked_symbols"].map(
            lambda count: max(1, math.floor(params["top_fraction"] * count)) if count == count else np.nan)
        ranks["held"] = ranks["momentum_rank"] <= cutoff
    else:
        raise ValueError(strategy_type)
    return ranks[["symbol", "trade_date", "held"]]


def candidates(strategy_type: str, params: dict, prices: pd.DataFrame, sectors: dict[str, str]) -> pd.DataFrame:
    """Per (symbol, trade_date), sorted: is_entry_candidate and is_exit_candidate."""
    out = held(strategy_type, params, prices, sectors).sort_values(["symbol", "trade_date"]).reset_index(drop=True)
    rebalance = out["trade_date"].isin(rebalance_days(prices["trade_date"]))
    out["is_entry_candidate"] = rebalance & out["held"]
    out["is_exit_candidate"] = rebalance & ~out["held"]
    return out.drop(columns="held")
