"""Path-dependent indicators (state machines over a symbol's whole price path).

Pure functions over one symbol's rows sorted by date; each can continue from the state it
returned, so a daily run need not replay history. The dbt Python model
``python_models/path_dependent/path_indicators.py`` applies them per symbol.
"""

from strategy_compute.path.atr import AtrState
from strategy_compute.path.chandelier import ChandelierState, chandelier_long, chandelier_long_arrays
from strategy_compute.path.frame import (
    SymbolState,
    continue_path_indicators,
    path_indicators,
    path_indicators_for_symbol,
    state_from_stored,
)
from strategy_compute.path.params import PathIndicatorParams
from strategy_compute.path.psar import PsarState, psar, psar_arrays
from strategy_compute.path.supertrend import SupertrendState, supertrend, supertrend_arrays

__all__ = [
    "AtrState",
    "ChandelierState",
    "PathIndicatorParams",
    "PsarState",
    "SymbolState",
    "continue_path_indicators",
    "state_from_stored",
    "SupertrendState",
    "chandelier_long",
    "chandelier_long_arrays",
    "path_indicators",
    "path_indicators_for_symbol",
    "psar",
    "psar_arrays",
    "supertrend",
    "supertrend_arrays",
]
