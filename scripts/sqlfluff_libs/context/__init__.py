"""Stand-in for dbt's Jinja `context` mapping so sqlfluff can render models that discover macros.

dbt exposes every macro in `context`; strategy_type_macros (macros/signals/strategy_type.sql) finds
the strategy types by name there with `context.keys()` and `context.get(name)`. Here both read the
template's own context, where sqlfluff's templater puts the macros it loaded from `macros/`.
"""

from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context


@pass_context
def keys(ctx: Context) -> list[str]:
    """Every name the template context resolves (variables, libraries and macros)."""
    return list(ctx.get_all().keys())


@pass_context
def get(ctx: Context, name: str) -> Any:  # noqa: ANN401 - a macro or any context value
    """The context value called `name`."""
    return ctx.resolve_or_missing(name)
