"""Loading end-of-day files into the warehouse's source tables."""

from strategy_engine.loading.errors import LoadError
from strategy_engine.loading.loader import LoadReport, load_paths

__all__ = ["LoadError", "LoadReport", "load_paths"]
