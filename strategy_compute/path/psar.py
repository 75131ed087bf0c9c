"""Parabolic SAR, exactly as TA-Lib's ``SAR(high, low, acceleration, maximum)`` computes it.

Rules reproduced from TA-Lib (ta_SAR.c, unstable period 0):
- The first output is on row 1 (row 0 is NaN). The starting trend is short when row 1's
  one-period minus-DM is positive (low fell more than high rose), else long.
- The starting SAR is row 0's low (long) or high (short); the starting extreme point is row 1's
  high (long) or low (short); on the first step "yesterday's" range is row 1's own range.
- Each row outputs the SAR computed on the previous row. When the row's low (long) or high
  (short) touches the SAR, the trend reverses: the output is the old extreme point clipped to
  the last two rows' range, the acceleration factor resets and the extreme point becomes the
  row's low (short) or high (long).
- The next SAR moves toward the extreme point by the acceleration factor and never enters the
  last two rows' range.

State carried between runs (``PsarState``) lets a daily run continue a symbol instead of
replaying its history; continuing from the state after row k equals the full computation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from strategy_compute.kernels import kernel


@dataclass(frozen=True)
class PsarState:
    """Everything the recursion needs after the last processed row."""

    is_long: bool
    sar: float  # the SAR the next row will output (unless it reverses)
    extreme_point: float
    acceleration_factor: float
    last_high: float
    last_low: float


@kernel()
def _psar_kernel(
    high, low, acceleration, maximum, has_state, is_long_in, sar_in, ep_in, af_in, prev_high_in, prev_low_in
):
    n = high.shape[0]
    out = np.full(n, np.nan)
    out_long = np.zeros(n, dtype=np.int8)
    valid = np.zeros(n, dtype=np.bool_)
    out_next = np.full(n, np.nan)
    out_ep = np.full(n, np.nan)
    out_af = np.full(n, np.nan)
    if acceleration > maximum:
        acceleration = maximum
    start = 0
    if has_state:
        is_long = is_long_in
        sar = sar_in
        ep = ep_in
        af = af_in
        new_high = prev_high_in
        new_low = prev_low_in
    else:
        if n < 2:
            return out, out_long, valid, out_next, out_ep, out_af, False, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan
        diff_plus = high[1] - high[0]
        diff_minus = low[0] - low[1]
        is_long = not (diff_minus > 0 and diff_plus < diff_minus)
        if is_long:
            ep = high[1]
            sar = low[0]
        else:
            ep = low[1]
            sar = high[0]
        af = acceleration
        # TA-Lib's first step uses row 1's own range as "yesterday's" range.
        new_low = low[1]
        new_high = high[1]
        start = 1
    for i in range(start, n):
        prev_low = new_low
        prev_high = new_high
        new_low = low[i]
        new_high = high[i]
        if is_long:
            if new_low <= sar:
                is_long = False
                sar = ep
                if sar < prev_high:
                    sar = prev_high
                if sar < new_high:
                    sar = new_high
                out[i] = sar
                af = acceleration
                ep = new_low
                sar = sar + af * (ep - sar)
                if sar < prev_high:
                    sar = prev_high
                if sar < new_high:
                    sar = new_high
            else:
                out[i] = sar
                if new_high > ep:
                    ep = new_high
                    af += acceleration
                    if af > maximum:
                        af = maximum
                sar = sar + af * (ep - sar)
                if sar > prev_low:
                    sar = prev_low
                if sar > new_low:
                    sar = new_low
        else:
            if new_high >= sar:
                is_long = True
                sar = ep
                if sar > prev_low:
                    sar = prev_low
                if sar > new_low:
                    sar = new_low
                out[i] = sar
                af = acceleration
                ep = new_high
                sar = sar + af * (ep - sar)
                if sar > prev_low:
                    sar = prev_low
                if sar > new_low:
                    sar = new_low
            else:
                out[i] = sar
                if new_low < ep:
                    ep = new_low
                    af += acceleration
                    if af > maximum:
                        af = maximum
                sar = sar + af * (ep - sar)
                if sar < prev_high:
                    sar = prev_high
                if sar < new_high:
                    sar = new_high
        out_long[i] = 1 if is_long else 0
        valid[i] = True
        out_next[i] = sar
        out_ep[i] = ep
        out_af[i] = af
    return out, out_long, valid, out_next, out_ep, out_af, True, 1.0 if is_long else 0.0, sar, ep, af, new_high, new_low


@dataclass(frozen=True)
class PsarPath:
    """Per-row outputs; next_sar/extreme_point/acceleration_factor are the state after each row."""

    sar: np.ndarray
    is_long: np.ndarray  # 1.0 long, 0.0 short, NaN where there is no SAR
    next_sar: np.ndarray
    extreme_point: np.ndarray
    acceleration_factor: np.ndarray
    final_state: PsarState | None


def psar_path(
    high: np.ndarray,
    low: np.ndarray,
    acceleration: float = 0.02,
    maximum: float = 0.2,
    state: PsarState | None = None,
) -> PsarPath:
    """The SAR recursion over one symbol's rows, optionally continuing from ``state``."""
    high = np.ascontiguousarray(high, dtype=np.float64)
    low = np.ascontiguousarray(low, dtype=np.float64)
    if state is None:
        args = (False, False, np.nan, np.nan, np.nan, np.nan, np.nan)
    else:
        args = (
            True,
            state.is_long,
            state.sar,
            state.extreme_point,
            state.acceleration_factor,
            state.last_high,
            state.last_low,
        )
    sar, is_long, valid, next_sar, ep_rows, af_rows, has_state, *rest = _psar_kernel(
        high, low, float(acceleration), float(maximum), *args
    )
    trend = np.where(valid, is_long.astype(np.float64), np.nan)
    final = state
    if has_state:
        long_flag, last_sar, ep, af, last_high, last_low = rest
        final = PsarState(bool(long_flag), last_sar, ep, af, last_high, last_low)
    return PsarPath(sar, trend, next_sar, ep_rows, af_rows, final)


def psar_arrays(
    high: np.ndarray,
    low: np.ndarray,
    acceleration: float = 0.02,
    maximum: float = 0.2,
    state: PsarState | None = None,
) -> tuple[np.ndarray, np.ndarray, PsarState | None]:
    """SAR values, trend flags (NaN where there is no SAR) and the state after the last row."""
    path = psar_path(high, low, acceleration, maximum, state)
    return path.sar, path.is_long, path.final_state


def psar(
    prices: pd.DataFrame,
    acceleration: float = 0.02,
    maximum: float = 0.2,
    state: PsarState | None = None,
) -> tuple[pd.DataFrame, PsarState | None]:
    """``psar`` and ``psar_is_long`` for one symbol's rows (sorted by date; columns high, low)."""
    sar, trend, final = psar_arrays(prices["high"].to_numpy(), prices["low"].to_numpy(), acceleration, maximum, state)
    frame = pd.DataFrame(
        {"psar": sar, "psar_is_long": pd.array(np.where(np.isnan(trend), None, trend == 1), dtype="boolean")},
        index=prices.index,
    )
    return frame, final
