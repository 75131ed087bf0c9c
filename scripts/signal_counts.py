"""Print the signal counts per strategy, parameter set and year of a built warehouse (docs/SIGNALS.md).

    python scripts/signal_counts.py [path/to/warehouse.duckdb]
"""

from __future__ import annotations

import sys
from pathlib import Path

from strategy_engine.paths import duckdb_path
from strategy_engine.schemas import MARTS_SCHEMA
from strategy_engine.warehouse import connect

QUERY = f"""
select
    signals.strategy_id,
    signals.param_set_id,
    sets.parameters,
    extract(year from signals.signal_date) as signal_year,
    signals.signal_type,
    count(*) as signal_count
from {MARTS_SCHEMA}.signals as signals
inner join {MARTS_SCHEMA}.strategy_param_sets as sets
    on signals.strategy_id = sets.strategy_id and signals.param_set_id = sets.param_set_id
group by all
"""


def counts_table(warehouse: Path) -> str:
    with connect(warehouse) as con:
        counts = con.execute(QUERY).df()
    years = sorted(counts["signal_year"].unique())
    header = ["strategy_id", "param_set_id", "parameters", "type", *map(str, years), "total"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    keys = ["strategy_id", "param_set_id", "parameters", "signal_type"]
    for key, rows in counts.groupby(keys, sort=True):
        per_year = rows.set_index("signal_year")["signal_count"]
        cells = [str(int(per_year.get(year, 0))) for year in years]
        strategy_id, param_set_id, parameters, signal_type = key
        lines.append(f"| {strategy_id} | {param_set_id} | `{parameters}` | {signal_type} | "
                     + " | ".join(cells) + f" | {int(per_year.sum())} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(counts_table(Path(sys.argv[1]) if len(sys.argv) > 1 else duckdb_path()))
