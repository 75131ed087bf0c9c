"""Stand-in for dbt's `adapter` object so sqlfluff's jinja templater can render dispatched macros.

dispatch() returns a callable rendering the DuckDB (default__) result of the macros listed here;
dbt itself dispatches to the real default__/bigquery__ implementations.
"""

from collections.abc import Callable

DEFAULT_RESULTS = {
    "strategy_float_type": "double",
    "run_stamp": "cast('2026-01-01 00:00:00.000000+00:00' as timestamptz)",
}


def dispatch(macro_name: str, macro_namespace: str | None = None) -> Callable[..., str]:
    result = DEFAULT_RESULTS.get(macro_name, macro_name)
    return lambda *args, **kwargs: result


def quote(identifier: str) -> str:
    return f'"{identifier}"'
