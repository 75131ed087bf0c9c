"""The pipeline users would write instead of the warehouse: TA-Lib per symbol + pandas, and vectorbt.

This is how the system the project replaces worked: read the market data out of the warehouse,
loop over the symbols computing indicators with TA-Lib, derive the four strategies' signals and a
simple backtest with pandas/numpy, and write the results back as tables (schema reference_bench).
Benchmark-only code: TA-Lib and vectorbt are test/dev dependencies, never imported by the engine.

Simplifications, on purpose (the reference must be what a user would write, not a port of the
models): fills at the next open, a flat cost per side, equal weight across the symbols in position.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from strategy_engine.schemas import SOURCE_SCHEMA

SCHEMA = "reference_bench"
VECTORBT_SCHEMA = "reference_vectorbt"
COST_PER_SIDE = 0.0012  # roughly STT + stamp duty + charges of Indian delivery trades
MAX_HOLDING_DAYS = 20
SYMBOLS_PER_WRITE = 100
STRATEGIES = ("sma_crossover", "rsi_mean_reversion", "macd_momentum", "bollinger_reversion")

MARKET_QUERY = f"""
    select symbol, trade_date, open, high, low, close, cast(volume as double) as volume
    from {SOURCE_SCHEMA}.market_data
    order by symbol, trade_date
"""


@dataclass
class Timing:
    """Seconds spent per phase; total is the wall time of the whole read-compute-write path."""

    read: float = 0.0
    compute: float = 0.0
    indicators: float = 0.0  # part of compute: the TA-Lib indicator calls alone
    write: float = 0.0
    total: float = 0.0
    rows_written: dict[str, int] = field(default_factory=dict)
    note: str = ""

    def as_dict(self) -> dict:
        return {"read": self.read, "compute": self.compute, "indicators": self.indicators, "write": self.write,
                "total": self.total, "rows_written": self.rows_written, "note": self.note}


def read_market_data(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(MARKET_QUERY).df()


def symbol_slices(market: pd.DataFrame) -> list[tuple[str, int, int]]:
    """(symbol, first row, end row) of each symbol's contiguous block in the sorted frame."""
    symbols = market["symbol"].to_numpy()
    starts = np.flatnonzero(np.r_[True, symbols[1:] != symbols[:-1]])
    ends = np.r_[starts[1:], len(symbols)]
    return [(symbols[s], int(s), int(e)) for s, e in zip(starts, ends, strict=True)]


def talib_indicators(open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray,
                     volume: np.ndarray) -> dict[str, np.ndarray]:
    """The indicator columns of the `indicators` mart, with TA-Lib's default parameters."""
    import talib

    macd, macd_signal, macd_hist = talib.MACD(close, 12, 26, 9)
    bb_upper, bb_middle, bb_lower = talib.BBANDS(close, 20, 2.0, 2.0)
    stoch_k, stoch_d = talib.STOCH(high, low, close, 14, 3, 0, 3, 0)
    log_returns = np.r_[np.nan, np.diff(np.log(close))]
    volatility = pd.Series(log_returns).rolling(20).std().to_numpy() * np.sqrt(252.0)
    return {
        "sma_20": talib.SMA(close, 20), "sma_50": talib.SMA(close, 50), "sma_200": talib.SMA(close, 200),
        "ema_12": talib.EMA(close, 12), "ema_26": talib.EMA(close, 26), "ema_50": talib.EMA(close, 50),
        "ema_200": talib.EMA(close, 200), "rsi_14": talib.RSI(close, 14),
        "macd": macd, "macd_signal": macd_signal, "macd_hist": macd_hist,
        "bb_upper": bb_upper, "bb_middle": bb_middle, "bb_lower": bb_lower,
        "atr_14": talib.ATR(high, low, close, 14), "natr_14": talib.NATR(high, low, close, 14),
        "adx_14": talib.ADX(high, low, close, 14), "plus_di_14": talib.PLUS_DI(high, low, close, 14),
        "minus_di_14": talib.MINUS_DI(high, low, close, 14), "stoch_k": stoch_k, "stoch_d": stoch_d,
        "willr_14": talib.WILLR(high, low, close, 14), "cci_20": talib.CCI(high, low, close, 20),
        "roc_10": talib.ROC(close, 10), "mom_10": talib.MOM(close, 10), "obv": talib.OBV(close, volume),
        "mfi_14": talib.MFI(high, low, close, volume, 14),
        "donchian_high_20": talib.MAX(high, 20), "donchian_low_20": talib.MIN(low, 20),
        "volatility_20": volatility,
    }


def _crossed_above(a: np.ndarray, b: np.ndarray | float) -> np.ndarray:
    b_prev = b if np.isscalar(b) else np.r_[np.nan, b[:-1]]
    a_prev = np.r_[np.nan, a[:-1]]
    with np.errstate(invalid="ignore"):
        return (a > b) & (a_prev <= b_prev)


def strategy_events(ind: dict[str, np.ndarray], close: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray, int]]:
    """Per strategy: (entry condition, exit condition, max holding days or 0)."""
    with np.errstate(invalid="ignore"):
        above_trend = close > ind["ema_200"]
    return {
        "sma_crossover": (_crossed_above(ind["sma_50"], ind["sma_200"]),
                          _crossed_above(ind["sma_200"], ind["sma_50"]), 0),
        "rsi_mean_reversion": (_crossed_above(ind["rsi_14"], 30.0), _crossed_above(ind["rsi_14"], 70.0),
                               MAX_HOLDING_DAYS),
        "macd_momentum": (_crossed_above(ind["macd"], ind["macd_signal"]) & above_trend,
                          _crossed_above(ind["macd_signal"], ind["macd"]), 0),
        "bollinger_reversion": (_crossed_above(ind["bb_lower"], close), _crossed_above(close, ind["bb_middle"]), 0),
    }


def round_trips(entry: np.ndarray, exit_: np.ndarray, max_hold: int) -> list[tuple[int, int, str]]:
    """Alternating entry/exit signal rows: (entry row, exit row or -1 if open, exit reason)."""
    entries = np.flatnonzero(entry)
    exits = np.flatnonzero(exit_)
    trips: list[tuple[int, int, str]] = []
    position = 0
    while True:
        k = np.searchsorted(entries, position)
        if k >= len(entries):
            return trips
        start = int(entries[k])
        j = np.searchsorted(exits, start + 1)
        end, reason = (int(exits[j]), "signal") if j < len(exits) else (-1, "")
        if max_hold and (end == -1 or end - start > max_hold) and start + max_hold < len(entry):
            end, reason = start + max_hold, "max_holding_days"
        trips.append((start, end, reason))
        if end == -1:
            return trips
        position = end + 1


def trade_returns(open_: np.ndarray, close: np.ndarray,
                  trips: list[tuple[int, int, str]]) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """Daily net returns and in-position flags: signal at a close, fill at the next open."""
    n = len(close)
    returns = np.zeros(n)
    held = np.zeros(n, dtype=bool)
    trade_net: list[float] = []
    for start, end, _ in trips:
        fill_in = start + 1
        if fill_in >= n:
            continue
        fill_out = n if end == -1 else min(end + 1, n)
        held[fill_in:fill_out] = True
        returns[fill_in] = close[fill_in] / open_[fill_in] - 1.0 - COST_PER_SIDE
        if fill_out > fill_in + 1:
            returns[fill_in + 1:fill_out] = close[fill_in + 1:fill_out] / close[fill_in:fill_out - 1] - 1.0
        if end != -1 and fill_out < n:
            returns[fill_out] = open_[fill_out] / close[fill_out - 1] - 1.0 - COST_PER_SIDE
            held[fill_out] = True
            trade_net.append(open_[fill_out] / open_[fill_in] * (1 - COST_PER_SIDE) ** 2 - 1.0)
    return returns, held, trade_net


class TableWriter:
    """Appends frames to reference_bench tables, creating them on first write."""

    def __init__(self, con: duckdb.DuckDBPyConnection, schema: str = SCHEMA) -> None:
        self.con = con
        self.schema = schema
        self.created: set[str] = set()
        self.rows: dict[str, int] = {}
        con.execute(f"drop schema if exists {schema} cascade")
        con.execute(f"create schema {schema}")

    def write(self, table: str, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        self.con.register("frame_to_write", frame)
        if table in self.created:
            self.con.execute(f"insert into {self.schema}.{table} select * from frame_to_write")
        else:
            self.con.execute(f"create table {self.schema}.{table} as select * from frame_to_write")
            self.created.add(table)
        self.con.unregister("frame_to_write")
        self.rows[table] = self.rows.get(table, 0) + len(frame)


def _timed(timing: Timing, phase: str, action: Callable[[], object]) -> object:
    started = time.perf_counter()
    result = action()
    setattr(timing, phase, getattr(timing, phase) + time.perf_counter() - started)
    return result


def run_talib_pandas(con: duckdb.DuckDBPyConnection) -> Timing:
    """TA-Lib per symbol + pandas signals + numpy backtest, written back to reference_bench."""
    timing = Timing()
    started = time.perf_counter()
    market = _timed(timing, "read", lambda: read_market_data(con))
    writer = _timed(timing, "write", lambda: TableWriter(con))
    all_dates = np.sort(market["trade_date"].unique())
    portfolio_sum = {s: np.zeros(len(all_dates)) for s in STRATEGIES}
    portfolio_count = {s: np.zeros(len(all_dates)) for s in STRATEGIES}
    pending: dict[str, list[pd.DataFrame]] = {"indicators": [], "signals": [], "trades": [], "equity_curve": []}

    def compute_symbol(symbol: str, first: int, end: int) -> None:
        block = market.iloc[first:end]
        dates = block["trade_date"].to_numpy()
        date_index = np.searchsorted(all_dates, dates)
        o, h, lo, c, v = (block[col].to_numpy(dtype=float) for col in ("open", "high", "low", "close", "volume"))
        indicators_started = time.perf_counter()
        ind = talib_indicators(o, h, lo, c, v)
        timing.indicators += time.perf_counter() - indicators_started
        pending["indicators"].append(pd.DataFrame({"symbol": symbol, "trade_date": dates, "close": c, **ind}))
        for strategy, (entry, exit_, max_hold) in strategy_events(ind, c).items():
            trips = round_trips(entry, exit_, max_hold)
            returns, held, trade_net = trade_returns(o, c, trips)
            portfolio_sum[strategy][date_index] += np.where(held, returns, 0.0)
            portfolio_count[strategy][date_index] += held
            rows = [(t[0], "ENTRY_LONG", None) for t in trips]
            rows += [(t[1], "EXIT_LONG", t[2]) for t in trips if t[1] != -1]
            if rows:
                at = np.array([r[0] for r in rows])
                pending["signals"].append(pd.DataFrame({
                    "strategy_id": strategy, "symbol": symbol, "signal_date": dates[at],
                    "signal_type": [r[1] for r in rows], "exit_reason": [r[2] for r in rows],
                    "close_price": c[at],
                }))
            if trade_net:
                pending["trades"].append(pd.DataFrame({"strategy_id": strategy, "symbol": symbol,
                                                       "net_return": trade_net}))
            pending["equity_curve"].append(pd.DataFrame({
                "strategy_id": strategy, "symbol": symbol, "trade_date": dates,
                "net_return": returns, "equity": np.cumprod(1.0 + returns),
            }))

    def flush() -> None:
        for table, frames in pending.items():
            if frames:
                writer.write(table, pd.concat(frames, ignore_index=True))
            frames.clear()

    for number, (symbol, first, end) in enumerate(symbol_slices(market), start=1):
        _timed(timing, "compute", lambda s=symbol, f=first, e=end: compute_symbol(s, f, e))
        if number % SYMBOLS_PER_WRITE == 0:
            _timed(timing, "write", flush)
    _timed(timing, "write", flush)

    def portfolio() -> pd.DataFrame:
        frames = []
        for strategy in STRATEGIES:
            count = portfolio_count[strategy]
            daily = np.divide(portfolio_sum[strategy], count, out=np.zeros_like(count), where=count > 0)
            frames.append(pd.DataFrame({"strategy_id": strategy, "trade_date": all_dates, "net_return": daily,
                                        "equity": np.cumprod(1.0 + daily)}))
        return pd.concat(frames, ignore_index=True)

    portfolio_frame = _timed(timing, "compute", portfolio)
    _timed(timing, "write", lambda: writer.write("portfolio_equity", portfolio_frame))
    timing.total = time.perf_counter() - started
    timing.rows_written = dict(writer.rows)
    return timing


def run_talib_sar(con: duckdb.DuckDBPyConnection) -> Timing:
    """TA-Lib SAR(high, low, 0.02, 0.2) looping over the symbols: the path_indicators comparison."""
    import talib

    timing = Timing()
    started = time.perf_counter()
    market = _timed(timing, "read", lambda: con.execute(
        f"select symbol, trade_date, high, low from {SOURCE_SCHEMA}.market_data order by symbol, trade_date").df())
    results: list[np.ndarray] = []

    def compute() -> None:
        for _, first, end in symbol_slices(market):
            results.append(talib.SAR(market["high"].to_numpy()[first:end], market["low"].to_numpy()[first:end],
                                     0.02, 0.2))

    _timed(timing, "compute", compute)
    frame = market[["symbol", "trade_date"]].assign(psar=np.concatenate(results) if results else [])

    _timed(timing, "write", lambda: _write_one(con, "psar", frame))
    timing.total = time.perf_counter() - started
    timing.rows_written = {"psar": len(frame)}
    return timing


def _write_one(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    con.execute(f"create schema if not exists {SCHEMA}")
    con.register("frame_to_write", frame)
    con.execute(f"create or replace table {SCHEMA}.{table} as select * from frame_to_write")
    con.unregister("frame_to_write")


def vectorbt_available() -> str | None:
    """None when vectorbt imports, else why not."""
    try:
        import vectorbt  # noqa: F401
    except Exception as error:  # noqa: BLE001 - any import failure means "not available"
        return f"{type(error).__name__}: {error}"
    return None


def _vectorbt_compute(close: pd.DataFrame, high: pd.DataFrame, low: pd.DataFrame,
                      open_: pd.DataFrame) -> dict[str, object]:
    import vectorbt as vbt

    def plain(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(np.asarray(frame), index=close.index, columns=close.columns)

    def crossed_above(a: pd.DataFrame, b: pd.DataFrame | float) -> pd.DataFrame:
        b_prev = b if np.isscalar(b) else b.shift(1)
        return (a > b) & (a.shift(1) <= b_prev)

    sma_50 = plain(vbt.MA.run(close, 50).ma)
    sma_200 = plain(vbt.MA.run(close, 200).ma)
    ema_200 = plain(vbt.MA.run(close, 200, ewm=True).ma)
    rsi = plain(vbt.RSI.run(close, 14).rsi)
    macd_run = vbt.MACD.run(close, 12, 26, 9)
    macd, macd_signal = plain(macd_run.macd), plain(macd_run.signal)
    bands = vbt.BBANDS.run(close, 20, alpha=2)
    bb_lower, bb_middle = plain(bands.lower), plain(bands.middle)
    rsi_entry = crossed_above(rsi, 30.0)
    signals = {
        "sma_crossover": (crossed_above(sma_50, sma_200), crossed_above(sma_200, sma_50)),
        # vectorbt (open source) has no holding-time stop: approximate it with the entry shifted
        # by max_holding_days as an extra exit
        "rsi_mean_reversion": (rsi_entry, crossed_above(rsi, 70.0) | rsi_entry.shift(MAX_HOLDING_DAYS,
                                                                                    fill_value=False)),
        "macd_momentum": (crossed_above(macd, macd_signal) & (close > ema_200), crossed_above(macd_signal, macd)),
        "bollinger_reversion": (crossed_above(bb_lower, close), crossed_above(close, bb_middle)),
    }
    outputs: dict[str, object] = {}
    for strategy, (entries, exits) in signals.items():
        next_open = open_.shift(-1).fillna(close)
        portfolio = vbt.Portfolio.from_signals(close, entries, exits, price=next_open, fees=COST_PER_SIDE, freq="1D")
        returns = portfolio.returns()
        in_position = portfolio.asset_value() > 0
        outputs[strategy] = {
            "entries": entries, "exits": exits, "returns": returns,
            "portfolio": returns.where(in_position).mean(axis=1).fillna(0.0),
            "trades": portfolio.trades.records_readable,
        }
    return outputs


def run_vectorbt(con: duckdb.DuckDBPyConnection) -> Timing:
    """vectorbt for the four strategies' signals and portfolio returns, written back as tables."""
    timing = Timing()
    started = time.perf_counter()
    market = _timed(timing, "read", lambda: read_market_data(con))

    def pivot() -> tuple[pd.DataFrame, ...]:
        wide = market.pivot(index="trade_date", columns="symbol")
        return tuple(wide[col] for col in ("close", "high", "low", "open"))

    close, high, low, open_ = _timed(timing, "compute", pivot)
    # numba compiles vectorbt's kernels on first use: run once on two symbols of the same data,
    # untimed, so the figures are the steady state a daily job would see
    warm_up_started = time.perf_counter()
    _vectorbt_compute(*(frame.iloc[:, :2] for frame in (close, high, low, open_)))
    warm_up = time.perf_counter() - warm_up_started
    timing.note = f"numba compilation ({warm_up:.1f} s) excluded"
    outputs = _timed(timing, "compute", lambda: _vectorbt_compute(close, high, low, open_))

    def write() -> dict[str, int]:
        writer = TableWriter(con, VECTORBT_SCHEMA)
        for strategy, out in outputs.items():
            events = []
            for signal_type, frame in (("ENTRY_LONG", out["entries"]), ("EXIT_LONG", out["exits"])):
                stacked = frame.stack()
                stacked = stacked[stacked]
                events.append(pd.DataFrame({"strategy_id": strategy, "symbol": stacked.index.get_level_values(1),
                                            "signal_date": stacked.index.get_level_values(0),
                                            "signal_type": signal_type}))
            writer.write("vbt_signals", pd.concat(events, ignore_index=True))
            returns = out["returns"].stack().rename("net_return").reset_index()
            returns.columns = ["trade_date", "symbol", "net_return"]
            writer.write("vbt_equity_curve", returns.assign(strategy_id=strategy))
            writer.write("vbt_portfolio", pd.DataFrame({"strategy_id": strategy, "trade_date": close.index,
                                                        "net_return": out["portfolio"].to_numpy()}))
            trades = out["trades"][["Column", "Entry Timestamp", "Exit Timestamp", "Return", "Status"]].copy()
            trades.columns = ["symbol", "entry_date", "exit_date", "net_return", "status"]
            writer.write("vbt_trades", trades.assign(strategy_id=strategy, symbol=trades["symbol"].astype(str),
                                                     status=trades["status"].astype(str)))
        return writer.rows

    timing.rows_written = _timed(timing, "write", write)
    timing.total = time.perf_counter() - started - warm_up
    return timing
