"""`strategy-engine generate`: deterministic, realistic enough, and loadable."""

from __future__ import annotations

import hashlib
import zipfile

import duckdb
import numpy as np
import pandas as pd

from strategy_engine.cli import main
from strategy_engine.loading import load_paths
from strategy_engine.loading.formats import _parse_ohlcv_csv_fast, _parse_ohlcv_csv_rows
from strategy_engine.paths import PROJECT_DIR
from strategy_engine.synthetic import Universe, append_next_day, generate, write_session_csv, write_universe
from strategy_engine.warehouse import connect, ensure_source_tables


def test_same_arguments_write_identical_bytes_and_another_seed_differs(tmp_path):
    first = generate(30, 2, 11, tmp_path / "a" / "u.zip")
    second = generate(30, 2, 11, tmp_path / "b" / "u.zip")
    other = generate(30, 2, 12, tmp_path / "c" / "u.zip")
    assert first.market_path.read_bytes() == second.market_path.read_bytes()
    assert first.actions_path.read_bytes() == second.actions_path.read_bytes()
    assert first.market_path.read_bytes() != other.market_path.read_bytes()
    plain = generate(30, 2, 11, tmp_path / "d" / "u.csv")
    with zipfile.ZipFile(first.market_path) as archive:
        assert archive.read("u.csv") == plain.market_path.read_bytes()


def test_prices_are_consistent_and_have_regimes_gaps_and_splits(tmp_path):
    universe = generate(60, 3, 5, tmp_path / "u.csv")
    market = pd.read_csv(universe.market_path, parse_dates=["date"])
    actions = pd.read_csv(universe.actions_path)
    assert len(market) == universe.rows and market["symbol"].nunique() == 60
    assert (market["high"] >= market[["open", "close"]].max(axis=1)).all()
    assert (market["low"] <= market[["open", "close"]].min(axis=1)).all()
    assert (market["low"] > 0).all() and (market["volume"] >= 0).all()
    assert not market.duplicated(["symbol", "date"]).any()
    assert (market["date"].dt.day_of_week < 5).all()
    # at least one split, written unadjusted: the raw close falls by about the split ratio on the ex-date
    assert 1 <= len(actions) <= 10 and set(actions["action"]) == {"split"}
    for action in actions.itertuples():
        series = market[market["symbol"] == action.symbol].set_index("date")["close"]
        ex = series.index.get_loc(pd.Timestamp(action.ex_date))
        assert series.iloc[ex] / series.iloc[ex - 1] < 0.75
    # volatility regimes: rolling volatility varies a lot within a symbol
    returns = np.log(market.groupby("symbol")["close"].pct_change() + 1)
    rolling = returns.groupby(market["symbol"]).rolling(40).std().dropna()
    assert rolling.quantile(0.95) > 1.8 * rolling.quantile(0.05)
    # overnight gaps: some opens far from the previous close
    previous_close = market.groupby("symbol")["close"].shift()
    gap = (market["open"] / previous_close - 1).abs()
    assert (gap > 0.08).sum() > 0


def test_cli_output_loads_and_fast_parser_matches_row_parser(tmp_path, warehouse_path, capsys):
    out = tmp_path / "u.zip"
    assert main(["generate", "--symbols", "8", "--years", "1", "--seed", "3", "--out", str(out)]) == 0
    assert "split(s)" in capsys.readouterr().out
    actions = tmp_path / "u_corporate_actions.csv"
    with connect(warehouse_path) as con:
        report = load_paths(con, [out, actions])
        again = load_paths(con, [out, actions])
        stored = con.execute("select count(*) from trading_data.market_data").fetchone()[0]
    assert report.inserted == stored > 8 * 200 and report.corporate_actions >= 1
    assert again.unchanged == stored and again.inserted == again.replaced == 0
    with zipfile.ZipFile(out) as archive:
        text = archive.read("u.csv").decode()
    fast = _parse_ohlcv_csv_fast(text)
    rows = _parse_ohlcv_csv_rows(text, "u.csv")
    assert fast is not None
    fast["trade_date"] = fast["trade_date"].dt.date
    pd.testing.assert_frame_equal(fast, rows, check_dtype=False)


# -- one generator (issue 15) ----------------------------------------------------------------------

# Recorded before the benchmark's walk moved here from scripts/bench_synthetic.py: the figures of
# docs/BENCHMARKS.md were measured on these rows, so they must not change.
BENCHMARK_UNIVERSE_SHA256 = {
    (7, 2, 20260101): "2d8b443808d1bd75c0af5e666aa99b3303e0b75189a661d132cae3822941da17",
    (260, 1, 5): "0867747ffa270b893fb1ce24687112367c572230eda1f13c9227289cfa8ac4ac",
}
GENERATED_SHA256 = {
    (30, 2, 11, "u.zip"): "ea11787d0de7d12d211f1a158b447a16a78f0172cd56168ab291c920f920c67e",
    (210, 1, 3, "v.csv"): "d0c3404f346a950165fc08b9c13a08caca976d47477e0e7cbaedb1b06262f73e",
}


def test_benchmark_universe_is_unchanged(tmp_path):
    """History, two next sessions (one appended, one as a CSV file) and 260 symbols (two chunks)."""
    for (symbols, years, seed), expected in BENCHMARK_UNIVERSE_SHA256.items():
        universe = Universe(symbols, years, seed=seed)
        con = duckdb.connect()
        ensure_source_tables(con)
        write_universe(con, universe)
        append_next_day(con, universe, 1)
        session = tmp_path / f"session_{symbols}.csv"
        write_session_csv(con, universe, 2, session)
        rows = con.execute("select * from trading_data.market_data order by symbol, trade_date").fetchall()
        assert hashlib.sha256(repr(rows).encode() + session.read_bytes()).hexdigest() == expected


def test_generated_files_are_unchanged(tmp_path):
    for (symbols, years, seed, name), expected in GENERATED_SHA256.items():
        universe = generate(symbols, years, seed, tmp_path / name)
        content = universe.market_path.read_bytes() + universe.actions_path.read_bytes()
        assert hashlib.sha256(content).hexdigest() == expected


def test_synthetic_prices_are_generated_in_one_module():
    """No other module of the project or its scripts draws a price walk of its own."""
    others = [path for folder in ("strategy_engine", "scripts", "python_models")
              for path in sorted((PROJECT_DIR / folder).rglob("*.py"))
              if path.name != "synthetic.py" and "cumsum" in (text := path.read_text()) and "random" in text]
    assert not others
    assert not (PROJECT_DIR / "scripts" / "bench_synthetic.py").exists()
