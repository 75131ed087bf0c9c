"""The sweep tier: one SMA-crossover strategy over a 10 x 10 grid (100 parameter sets).

Ours: `dbt build --select +performance --vars '{strategies: [the grid]}'` on an empty warehouse
holding only the market data. vectorbt: `MA.run` over the parameter lists and
`Portfolio.from_signals` with next-open fills over the same grid, then the per-set statistics a
`performance` row holds. vectorbt runs in its own child process (`python scripts/bench_sweep.py
--database ... --out ...`) so that its peak RSS is measured exactly like our build's.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd

from strategy_engine.schemas import MARTS_SCHEMA, SOURCE_SCHEMA

SWEEP_STRATEGY_ID = "sma_crossover_grid"
FAST_PERIODS = list(range(10, 56, 5))  # 10, 15, ..., 55
SLOW_PERIODS = list(range(100, 191, 10))  # 100, 110, ..., 190
COST_PER_SIDE = 0.0012  # the same flat cost as bench_reference.py


def parameter_sets() -> int:
    return len(FAST_PERIODS) * len(SLOW_PERIODS)


def sweep_vars() -> dict:
    """The `--vars` of our sweep build: the grid as one strategy whose params are lists."""
    return {"strategies": [{"id": SWEEP_STRATEGY_ID, "type": "sma_crossover", "enabled": True,
                            "params": {"fast": FAST_PERIODS, "slow": SLOW_PERIODS}}]}


def performance_param_sets(database: Path) -> int:
    """How many of the grid's parameter sets have `performance` rows after our build."""
    try:
        with duckdb.connect(str(database), read_only=True) as con:
            row = con.execute(f"select count(distinct param_set_id) from {MARTS_SCHEMA}.performance "
                              "where strategy_id = ?", [SWEEP_STRATEGY_ID]).fetchone()
    except duckdb.CatalogException:  # the build stopped before performance existed
        return 0
    return int(row[0]) if row else 0


def _wide(database: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    with duckdb.connect(str(database), read_only=True) as con:
        market = con.execute(f"select trade_date, symbol, open, close from {SOURCE_SCHEMA}.market_data "
                             "order by symbol, trade_date").df()
    wide = market.pivot(index="trade_date", columns="symbol")
    return wide["close"], wide["open"]


def _grid_portfolio(close: pd.DataFrame, open_: pd.DataFrame) -> pd.DataFrame:
    """Every (fast, slow, symbol) column's portfolio, and the statistics of each."""
    import vectorbt as vbt

    # vectorbt pairs parameter lists element-wise: repeat/tile them to get the full 10 x 10 grid
    fast_windows = [fast for fast in FAST_PERIODS for _ in SLOW_PERIODS]
    slow_windows = [slow for _ in FAST_PERIODS for slow in SLOW_PERIODS]
    fast = vbt.MA.run(close, fast_windows, short_name="fast")
    slow = vbt.MA.run(close, slow_windows, short_name="slow")
    entries = fast.ma_crossed_above(slow)
    exits = fast.ma_crossed_below(slow)
    next_open = open_.shift(-1).fillna(close)
    portfolio = vbt.Portfolio.from_signals(close, entries, exits, price=next_open, fees=COST_PER_SIDE, freq="1D")
    return pd.DataFrame({"total_return": portfolio.total_return(), "sharpe_ratio": portfolio.sharpe_ratio(),
                         "max_drawdown": portfolio.max_drawdown()})


def run_vectorbt_sweep(database: Path) -> dict:
    """Timings of the vectorbt sweep; numba compilation (a first run on two symbols) is excluded."""
    started = time.perf_counter()
    close, open_ = _wide(database)
    read = time.perf_counter() - started
    warm_started = time.perf_counter()
    _grid_portfolio(close.iloc[:, :2], open_.iloc[:, :2])
    warm_up = time.perf_counter() - warm_started
    compute_started = time.perf_counter()
    stats = _grid_portfolio(close, open_)
    compute = time.perf_counter() - compute_started
    return {"read": read, "compute": compute, "total": read + compute, "warm_up_excluded": warm_up,
            "parameter_sets": int(stats.index.droplevel(-1).nunique()), "columns": len(stats)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="vectorbt over the sweep grid (run by benchmark.py)")
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the timings")
    args = parser.parse_args(argv)
    args.out.write_text(json.dumps(run_vectorbt_sweep(args.database)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
