"""Issue 15, "nothing changes in the results": every mart built on the bundled sample holds the
values recorded in tests/fixtures/mart_baseline.json before the issue's work (recorded at bf38b15,
whose results equal the issue's starting point eeaed81). The marts are enumerated from the
manifest; scripts/mart_baseline.py says how values are fingerprinted and compared, and records the
file again. This test never rewrites it.

What the issue renames or moves is mapped in the one table below, and nowhere else. A mart may gain
columns; it may not lose or change one unless the table says where it went. A mart may gain the rows
of a strategy declared since the recording (NEW_STRATEGIES): those rows are left out of the
comparison, every recorded row is still compared, and the new strategies must have rows.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

import duckdb
import pytest
from mart_baseline import (
    RUN_STAMPS,
    Source,
    all_models,
    compare,
    current_source,
    fingerprint,
    load,
    mart_models,
    recorded_source,
)

# ---- The table of issue 15's renames and moves (the lead fills it when merging) --------------------
# Relations renamed: baseline model name -> model name now.
RELATION_RENAMES: dict[str, str] = {
    # intermediate -> mart, so that no intermediate model reads a mart (it reads indicators and
    # path_indicators); analysts query it to see why a day was or was not a candidate
    "int_strategy_candidates": "strategy_candidates",
}
# Columns renamed: (baseline model name, baseline column) -> column name now, in the (renamed) model.
# Key columns too: rows are still sorted by the recorded key, read under its new names.
COLUMN_RENAMES: dict[tuple[str, str], str] = {
    # signal-day names differ from trades' fill-day entry_date / holding_days (docs/SIGNALS.md)
    ("signals", "entry_date"): "entry_signal_date",
    ("signals", "holding_days"): "days_since_entry_signal",
    ("positions", "entry_date"): "entry_signal_date",
    ("positions", "holding_days"): "days_since_entry_signal",
}
# Columns moved out of a model: (baseline model name, baseline column) -> (model now, column there),
# any model of the manifest, left-joined on the baseline model's key (under its current names), so a
# row missing there reads as NULL and fails. With the default strategies the
# indicators mart has no strategy-specific period columns (no rsi_<n> but rsi_14), so none yet.
MOVED_COLUMNS: dict[tuple[str, str], tuple[str, str]] = {
    # ("indicators", "rsi_21"): ("indicator_variants", "rsi_21"),
}
# Marts that exist now and did not before, with why they hold no recorded values.
NEW_MARTS: dict[str, str] = {
    "performance_years": "was the intermediate int_performance_years (not recorded: only marts were), moved to the "
    "marts because it reads equity_curve; its sums are what performance and walk_forward combine, both compared",
    "portfolio_drawdown": "a view of equity_curve's portfolio rows with performance's drawdown rule, which the "
    "report used to recompute in Python (its minimum equals performance.max_drawdown: test_report)",
    "ml_market_features": "issue 17: market-wide ML features per session (checked against pandas: test_ml_features)",
    "ml_features": "issue 17: ML features per (symbol, trade_date) (checked against pandas: test_ml_features)",
    "ml_labels": "issue 17: forward-return labels (checked against pandas: test_ml_features)",
    "ml_folds": "issue 17: walk-forward folds (checked against pandas: test_ml_features)",
    "portfolio_weights": "issue 16: target weights of the portfolios declared in the var `portfolios`, a new mart "
    "(test_portfolio_weights compares it with an independent pandas reference)",
    "portfolio_exposures": "issue 16: sector and gross sums of portfolio_weights, a new mart (test_portfolio_weights)",
}
# Strategies (ids of the dbt var `strategies`) declared after the recording, with why: their rows, in
# every mart with a strategy_id column, are new rows and left out of the comparison.
NEW_STRATEGIES: dict[str, str] = {
    "sector_rotation": "issue 16, cross-sectional type sector_rotation (docs/STRATEGIES.md)",
    "cross_sectional_momentum": "issue 16, cross-sectional type cross_sectional_momentum (docs/STRATEGIES.md)",
}
# -----------------------------------------------------------------------------------------------------

BASELINE = load()


@pytest.fixture(scope="module")
def built(sample_build) -> Iterator[tuple[duckdb.DuckDBPyConnection, dict]]:
    """A read-only connection to the session's build of the sample, and its manifest."""
    with duckdb.connect(str(sample_build.warehouse), read_only=True) as con:
        yield con, json.loads(sample_build.manifest.read_text())


def test_every_mart_has_a_baseline(built) -> None:
    marts_now = set(mart_models(built[1]))
    expected = {RELATION_RENAMES.get(name, name) for name in BASELINE["relations"]} | set(NEW_MARTS)
    assert marts_now == expected, (
        f"marts without a baseline: {sorted(marts_now - expected)} (map a rename, or list a new mart); "
        f"recorded marts gone: {sorted(expected - marts_now)} (map their renames)")


@pytest.mark.parametrize("name", sorted(BASELINE["relations"]))
def test_mart_values_unchanged(built, name: str) -> None:
    con, manifest = built
    models_now = all_models(manifest)
    recorded = BASELINE["relations"][name]
    source = without_new_strategies(
        current_source(con, models_now, name, recorded, RELATION_RENAMES, COLUMN_RENAMES, MOVED_COLUMNS))
    problems = compare(name, recorded, fingerprint(con, source, recorded["block_rows"]), con, source)
    assert not problems, "\n".join(problems)


def without_new_strategies(source: Source) -> Source:
    """The source without the rows of NEW_STRATEGIES, when it has a strategy_id column."""
    if "strategy_id" not in source.columns or not NEW_STRATEGIES:
        return source
    ids = ", ".join("'" + strategy_id + "'" for strategy_id in NEW_STRATEGIES)
    return Source(f"select * from ({source.sql}) as recorded_rows where strategy_id not in ({ids})",
                  source.key, source.columns)


def test_the_new_strategies_have_rows_in_the_marts(built) -> None:
    con, manifest = built
    for name in ["strategy_candidates", "signals", "trades", "equity_curve", "performance"]:
        schema, relation = mart_models(manifest)[name]
        found = {row[0] for row in con.execute(
            f'select distinct strategy_id from "{schema}"."{relation}" where strategy_id in ?',
            [list(NEW_STRATEGIES)]).fetchall()}
        assert found == set(NEW_STRATEGIES), name


def test_the_maps_name_recorded_relations_and_columns() -> None:
    relations = BASELINE["relations"]
    assert set(RELATION_RENAMES) <= set(relations)
    for name, column in [*COLUMN_RENAMES, *MOVED_COLUMNS]:
        assert column in relations[name]["columns"], f"{name}.{column} is not a recorded column"


# ---- The comparison itself, on a small table tampered with -------------------------------------------

@pytest.fixture()
def tiny() -> Iterator[duckdb.DuckDBPyConnection]:
    """A 'mart' of 5000 rows: key (grp, day), a text, an integer and two float columns, a run stamp."""
    con = duckdb.connect()
    con.execute("create schema strategy_data")
    con.execute("""
        create table strategy_data.tiny as
        select i % 7 as grp, i // 7 as day, 'name_' || (i % 13) as label, i * 3 as amount,
               sin(i) * 1000 + 0.1 as price, case when i % 11 = 0 then null else cos(i) / 3 end as ratio,
               now() as computed_at
        from range(5000) as t(i)
    """)
    yield con
    con.close()


def _record(con: duckdb.DuckDBPyConnection) -> dict:
    return fingerprint(con, recorded_source(con, "strategy_data", "tiny", ("grp", "day")))


def _problems(con: duckdb.DuckDBPyConnection, recorded: dict, relation_renames=None, column_renames=None,
              moved_columns=None, models=None) -> list[str]:
    models = models or {"tiny": ("strategy_data", "tiny")}
    source = current_source(con, models, "tiny", recorded, relation_renames or {}, column_renames or {},
                            moved_columns or {})
    return compare("tiny", recorded, fingerprint(con, source, recorded["block_rows"]), con, source)


def test_run_stamps_are_left_out(tiny) -> None:
    assert "computed_at" in RUN_STAMPS
    assert "computed_at" not in _record(tiny)["columns"]


def test_unchanged_table_passes(tiny) -> None:
    recorded = _record(tiny)
    tiny.execute("update strategy_data.tiny set computed_at = now() + interval 1 day")
    assert _problems(tiny, recorded) == []


@pytest.mark.parametrize(("change", "column"), [
    ("set price = price * (1 + 1e-7) where grp = 3 and day = 100", "price"),
    ("set price = price + 1 where grp = 0 and day = 0", "price"),
    ("set ratio = null where grp = 1 and day = 5", "ratio"),
    ("set ratio = 'nan'::double where grp = 1 and day = 5", "ratio"),
    ("set label = 'name_x' where grp = 2 and day = 2", "label"),
    ("set amount = amount + 1 where grp = 4 and day = 4", "amount"),
])
def test_a_changed_value_fails_naming_mart_and_column(tiny, change: str, column: str) -> None:
    recorded = _record(tiny)
    tiny.execute(f"update strategy_data.tiny {change}")
    problems = _problems(tiny, recorded)
    assert len(problems) == 1 and problems[0].startswith(f"tiny.{column}: "), problems


def test_values_swapped_between_rows_fail(tiny) -> None:
    recorded = _record(tiny)
    tiny.execute("""
        update strategy_data.tiny as t set price = s.price
        from (select grp, case day when 10 then 11 else 10 end as day, price from strategy_data.tiny
              where grp = 0 and day in (10, 11)) as s
        where t.grp = s.grp and t.day = s.day
    """)
    assert [problem.split(":")[0] for problem in _problems(tiny, recorded)] == ["tiny.price"]


def test_a_lost_row_or_column_fails(tiny) -> None:
    recorded = _record(tiny)
    tiny.execute("alter table strategy_data.tiny drop column label")
    assert _problems(tiny, recorded) == ["tiny.label: column gone"]
    tiny.execute("delete from strategy_data.tiny where grp = 0 and day = 0")
    assert _problems(tiny, recorded) == ["tiny: 4999 rows, recorded 5000"]


def test_last_bit_changes_pass_even_across_a_rounding_boundary(tiny) -> None:
    below = _one_ulp_below_a_rounding_boundary()
    tiny.execute("update strategy_data.tiny set price = ? where grp = 5 and day = 5", [below])
    recorded = _record(tiny)
    tiny.execute("update strategy_data.tiny set price = ? where grp = 5 and day = 5",
                 [math.nextafter(below, math.inf)])
    tiny.execute("update strategy_data.tiny set ratio = ratio * (1 + 2.3e-16)")
    current = _record(tiny)
    assert current["columns"]["price"]["blocks"] != recorded["columns"]["price"]["blocks"]
    assert _problems(tiny, recorded) == []


def _one_ulp_below_a_rounding_boundary() -> float:
    """A double whose next double prints differently at 10 significant digits."""
    value = 123.45678905
    for _ in range(64):
        value = math.nextafter(value, 0.0)
    while f"{value:.9e}" == f"{math.nextafter(value, math.inf):.9e}":
        value = math.nextafter(value, math.inf)
    return value


def test_renamed_relation_renamed_column_and_moved_column_pass(tiny) -> None:
    recorded = _record(tiny)
    tiny.execute("create table strategy_data.tiny_variants as select grp, day, ratio from strategy_data.tiny")
    tiny.execute("alter table strategy_data.tiny drop column ratio")
    tiny.execute("alter table strategy_data.tiny rename column day to day_index")
    tiny.execute("alter table strategy_data.tiny rename to renamed")
    tiny.execute("alter table strategy_data.tiny_variants rename column day to day_index")
    models = {"renamed": ("strategy_data", "renamed"), "tiny_variants": ("strategy_data", "tiny_variants")}
    problems = _problems(tiny, recorded, relation_renames={"tiny": "renamed"},
                         column_renames={("tiny", "day"): "day_index"},
                         moved_columns={("tiny", "ratio"): ("tiny_variants", "ratio")}, models=models)
    assert problems == []
    tiny.execute("update strategy_data.tiny_variants set ratio = ratio + 1 where grp = 6 and day_index = 6")
    problems = _problems(tiny, recorded, relation_renames={"tiny": "renamed"},
                         column_renames={("tiny", "day"): "day_index"},
                         moved_columns={("tiny", "ratio"): ("tiny_variants", "ratio")}, models=models)
    assert [problem.split(":")[0] for problem in problems] == ["tiny.ratio"]
