"""Loading end-of-day files into the warehouse's source tables.

`load_paths` and `LoadReport` are imported on first use: the CLI builds its help from
`loading.archives` for every command, and importing the loader (pandas, pyarrow) there added
about 0.33 s (`strategy-engine --help`: 0.41 s, now 0.08 s) to each `strategy-engine` start, `run` and `serve` included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strategy_engine.loading.errors import LoadError

if TYPE_CHECKING:
    from strategy_engine.loading.loader import LoadReport, load_paths

__all__ = ["LoadError", "LoadReport", "load_paths"]


def __getattr__(name: str) -> Any:
    if name in ("LoadReport", "load_paths"):
        from strategy_engine.loading import loader

        return getattr(loader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
