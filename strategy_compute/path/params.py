"""Parameter sets of the path indicators and the columns they write.

The sets and their column names come from the dbt model int_path_indicator_columns, whose rows the
macro path_indicator_columns() writes from the dbt var ``path_indicator_params``: that macro is the
one home of the naming rule (``psar``/``psar_is_long`` and ``supertrend_direction`` for the first
sets, ``supertrend_10_3``, ``chandelier_long_22_3``, ``psar_0p03_0p3`` ...). Here a set only carries
the names it is given; the state columns an incremental run continues from are named after the
set's value column (``supertrend_10_3_atr``), which no SQL reads.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PsarParams:
    acceleration: float
    maximum: float
    value_column: str
    trend_column: str

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
    value_column: str
    direction_column: str

    @property
    def state_columns(self) -> tuple[str, str, str]:
        """ATR, final upper band, final lower band: the state after each row."""
        return (f"{self.value_column}_atr", f"{self.value_column}_final_upper", f"{self.value_column}_final_lower")


@dataclass(frozen=True)
class ChandelierParams:
    period: int
    multiplier: float
    value_column: str

    @property
    def atr_column(self) -> str:
        return f"{self.value_column}_atr"


@dataclass(frozen=True)
class PathIndicatorParams:
    psar: tuple[PsarParams, ...]
    supertrend: tuple[SupertrendParams, ...]
    chandelier_long: tuple[ChandelierParams, ...]

    @classmethod
    def from_column_rows(cls, rows: Iterable[Mapping[str, Any]]) -> PathIndicatorParams:
        """The sets of int_path_indicator_columns' rows (indicator, set_index, family, column_name,
        period, multiplier, acceleration, maximum), in set order."""
        sets: dict[tuple[str, int], dict[str, Any]] = {}
        for row in rows:
            key = (str(row["indicator"]), int(row["set_index"]))
            sets.setdefault(key, dict(row))[f"{row['family']}_column"] = str(row["column_name"])
        ordered = [sets[key] for key in sorted(sets, key=lambda key: key[1])]

        def of(indicator: str) -> list[dict[str, Any]]:
            return [s for s in ordered if s["indicator"] == indicator]

        return cls(
            psar=tuple(
                PsarParams(float(s["acceleration"]), float(s["maximum"]), s["psar_column"], s["psar_is_long_column"])
                for s in of("psar")
            ),
            supertrend=tuple(
                SupertrendParams(_whole(s["period"]), float(s["multiplier"]), s["supertrend_column"],
                                 s["supertrend_direction_column"])
                for s in of("supertrend")
            ),
            chandelier_long=tuple(
                ChandelierParams(_whole(s["period"]), float(s["multiplier"]), s["chandelier_long_column"])
                for s in of("chandelier_long")
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


def _whole(value: Any) -> int:
    """A period read back from a table (pandas may hand an integer column with NULLs as float)."""
    number = float(value)
    if math.isnan(number) or number != int(number):
        raise ValueError(f"a path indicator period must be a whole number, got {value!r}")
    return int(number)
