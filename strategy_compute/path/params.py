"""Parameter sets of the path indicators (dbt var ``path_indicator_params``) and their column names.

Each indicator takes a list of parameter sets; every set adds columns (never rows), so the mart
stays one row per (symbol, trade_date). The first PSAR set writes ``psar``/``psar_is_long`` and
the first SuperTrend set writes ``supertrend_direction``; later sets carry their parameters in
the column name (``psar_0p03_0p3``, ``supertrend_direction_7_2``). SuperTrend lines and chandelier
levels always carry them (``supertrend_10_3``, ``chandelier_long_22_3``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_PARAMS: dict[str, list[dict[str, float]]] = {
    "psar": [{"acceleration": 0.02, "maximum": 0.2}],
    "supertrend": [{"period": 10, "multiplier": 3}],
    "chandelier_long": [{"period": 22, "multiplier": 3}],
}


def _token(value: float) -> str:
    return f"{value:g}".replace(".", "p").replace("-", "m")


@dataclass(frozen=True)
class PsarParams:
    acceleration: float
    maximum: float
    primary: bool

    @property
    def value_column(self) -> str:
        return "psar" if self.primary else f"psar_{_token(self.acceleration)}_{_token(self.maximum)}"

    @property
    def trend_column(self) -> str:
        return "psar_is_long" if self.primary else f"psar_is_long_{_token(self.acceleration)}_{_token(self.maximum)}"

    @property
    def state_columns(self) -> tuple[str, str, str]:
        """Next row's SAR, extreme point, acceleration factor: the state after each row."""
        return (
            f"{self.value_column}_next",
            f"{self.value_column}_extreme_point",
            f"{self.value_column}_acceleration_factor",
        )


@dataclass(frozen=True)
class SupertrendParams:
    period: int
    multiplier: float
    primary: bool

    @property
    def value_column(self) -> str:
        return f"supertrend_{self.period}_{_token(self.multiplier)}"

    @property
    def direction_column(self) -> str:
        suffix = "" if self.primary else f"_{self.period}_{_token(self.multiplier)}"
        return f"supertrend_direction{suffix}"

    @property
    def state_columns(self) -> tuple[str, str, str]:
        """ATR, final upper band, final lower band: the state after each row."""
        return (f"{self.value_column}_atr", f"{self.value_column}_final_upper", f"{self.value_column}_final_lower")


@dataclass(frozen=True)
class ChandelierParams:
    period: int
    multiplier: float

    @property
    def value_column(self) -> str:
        return f"chandelier_long_{self.period}_{_token(self.multiplier)}"

    @property
    def atr_column(self) -> str:
        return f"{self.value_column}_atr"


@dataclass(frozen=True)
class PathIndicatorParams:
    psar: tuple[PsarParams, ...]
    supertrend: tuple[SupertrendParams, ...]
    chandelier_long: tuple[ChandelierParams, ...]

    @classmethod
    def from_config(cls, raw: Mapping[str, Any] | None) -> PathIndicatorParams:
        merged = {**DEFAULT_PARAMS, **(raw or {})}
        return cls(
            psar=tuple(
                PsarParams(float(s["acceleration"]), float(s["maximum"]), i == 0) for i, s in enumerate(merged["psar"])
            ),
            supertrend=tuple(
                SupertrendParams(int(s["period"]), float(s["multiplier"]), i == 0)
                for i, s in enumerate(merged["supertrend"])
            ),
            chandelier_long=tuple(
                ChandelierParams(int(s["period"]), float(s["multiplier"])) for s in merged["chandelier_long"]
            ),
        )

    def output_columns(self) -> list[tuple[str, str]]:
        """(column, type) of the computed columns, type one of 'double', 'boolean', 'bigint'.

        The indicators come first, then the state columns an incremental run continues from.
        """
        columns: list[tuple[str, str]] = []
        for p in self.psar:
            columns += [(p.value_column, "double"), (p.trend_column, "boolean")]
        for s in self.supertrend:
            columns += [(s.value_column, "double"), (s.direction_column, "bigint")]
        for c in self.chandelier_long:
            columns.append((c.value_column, "double"))
        for p in self.psar:
            columns += [(name, "double") for name in p.state_columns]
        for s in self.supertrend:
            columns += [(name, "double") for name in s.state_columns]
        for c in self.chandelier_long:
            columns.append((c.atr_column, "double"))
        return columns

    @property
    def longest_lookback(self) -> int:
        """Rows a symbol needs before every recursion is past its seeding (and PSAR has started)."""
        periods = [s.period for s in self.supertrend] + [c.period for c in self.chandelier_long]
        return max([1, *periods]) + 1
