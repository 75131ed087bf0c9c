"""Render the README's performance table from the built `performance` mart (strategy_data).

Every parameter set of every strategy in the mart is listed (no selection), portfolio level, full
history, net of the costs the mart was built with, next to the equal-weight buy-and-hold of the
universe. Usage:

    python scripts/performance_table.py                 # print the markdown table
    python scripts/performance_table.py --write README.md   # replace the table between the markers
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pandas as pd

from strategy_engine.schemas import MARTS_SCHEMA
from strategy_engine.warehouse import connect

START_MARKER = "<!-- performance-table:start -->"
END_MARKER = "<!-- performance-table:end -->"

QUERY = f"""
select
    performance.strategy_id,
    performance.param_set_id,
    param_sets.parameters,
    performance.start_date,
    performance.end_date,
    performance.total_return,
    performance.cagr,
    performance.annual_volatility,
    performance.sharpe_ratio,
    performance.sortino_ratio,
    performance.max_drawdown,
    performance.num_trades,
    performance.win_rate,
    performance.exposure,
    performance.probabilistic_sharpe_ratio,
    performance.deflated_sharpe_ratio,
    performance.benchmark_total_return,
    trades.cost_model
from {MARTS_SCHEMA}.performance
left join {MARTS_SCHEMA}.strategy_param_sets as param_sets
    on performance.strategy_id = param_sets.strategy_id and performance.param_set_id = param_sets.param_set_id
left join (select distinct cost_model from {MARTS_SCHEMA}.trades) as trades on true
where performance.symbol = '__PORTFOLIO__' and performance."window" = 'full'
order by performance.strategy_id, performance.param_set_id
"""

# The equal-weight universe's buy-and-hold, as the performance mart computes it (the benchmark of
# every portfolio row is the same universe over the same days): read, never recomputed here.
BENCHMARK_QUERY = f"""
select
    benchmark_total_return as total_return,
    benchmark_cagr as cagr,
    benchmark_annual_volatility as annual_volatility,
    benchmark_sharpe_ratio as sharpe_ratio
from {MARTS_SCHEMA}.performance
where symbol = '__PORTFOLIO__' and "window" = 'full'
order by strategy_id, param_set_id
limit 1
"""


def _percent(value: float | None) -> str:
    return "" if value is None or pd.isna(value) else f"{value * 100:.1f}%"


def _number(value: float | None, digits: int = 2) -> str:
    return "" if value is None or pd.isna(value) else f"{value:.{digits}f}"


def render(performance: pd.DataFrame, benchmark: pd.Series) -> str:
    first = performance.iloc[0]
    lines = [
        f"Portfolio level (equal weight, at most `max_positions` symbols), {first.start_date:%Y-%m-%d} to "
        f"{first.end_date:%Y-%m-%d}, cost model `{first.cost_model}`, every parameter set in the mart.",
        "",
        "| strategy | parameters | total return | CAGR | volatility | Sharpe | Sortino | max drawdown | trades "
        "| win rate | exposure | PSR | DSR |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in performance.itertuples():
        lines.append(
            f"| {row.strategy_id} | `{row.parameters or row.param_set_id}` "
            f"| {_percent(row.total_return)} | {_percent(row.cagr)} "
            f"| {_percent(row.annual_volatility)} | {_number(row.sharpe_ratio)} | {_number(row.sortino_ratio)} "
            f"| {_percent(row.max_drawdown)} | {row.num_trades} | {_percent(row.win_rate)} "
            f"| {_percent(row.exposure)} | {_number(row.probabilistic_sharpe_ratio)} "
            f"| {_number(row.deflated_sharpe_ratio)} |"
        )
    lines.append(
        f"| buy-and-hold, equal-weight universe | | {_percent(benchmark.total_return)} | {_percent(benchmark.cagr)} "
        f"| {_percent(benchmark.annual_volatility)} | {_number(benchmark.sharpe_ratio)} | | | | | 100.0% | | |"
    )
    return "\n".join(lines)


def write_between_markers(readme: Path, table: str) -> None:
    text = readme.read_text()
    pattern = re.compile(re.escape(START_MARKER) + r".*?" + re.escape(END_MARKER), re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"{readme} has no {START_MARKER} ... {END_MARKER} block")
    readme.write_text(pattern.sub(lambda _: f"{START_MARKER}\n{table}\n{END_MARKER}", text))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="README file whose marked block is replaced")
    arguments = parser.parse_args()
    with connect(read_only=True) as con:
        performance = con.execute(QUERY).df()
        benchmark = con.execute(BENCHMARK_QUERY).df().iloc[0]
    table = render(performance, benchmark)
    if arguments.write:
        write_between_markers(arguments.write, table)
    else:
        print(table)


if __name__ == "__main__":
    main()
