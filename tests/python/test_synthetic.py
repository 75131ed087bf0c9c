"""`strategy-engine generate`: deterministic, realistic enough, and loadable."""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd

from strategy_engine.cli import main
from strategy_engine.loading import load_paths
from strategy_engine.loading.formats import _parse_ohlcv_csv_fast, _parse_ohlcv_csv_rows
from strategy_engine.synthetic import generate
from strategy_engine.warehouse import connect


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
