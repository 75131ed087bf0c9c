"""scripts/check_layers.py fails on a backwards edge between layers and passes a sound manifest."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location(
    "check_layers", Path(__file__).resolve().parents[2] / "scripts" / "check_layers.py"
)
check_layers = importlib.util.module_from_spec(_SPEC)
sys.modules["check_layers"] = check_layers
_SPEC.loader.exec_module(check_layers)

PATHS = {
    "base_market_data_checked": "models/staging/base/base_market_data_checked.sql",
    "stg_market_data": "models/staging/stg_market_data.sql",
    "int_market_data_adjusted": "models/intermediate/int_market_data_adjusted.sql",
    "int_backtest_prices": "models/intermediate/backtest/int_backtest_prices.sql",
    "indicators": "models/marts/indicators.sql",
    "signals": "models/marts/signals/signals.sql",
    "path_indicators": "python_models/path_dependent/path_indicators.py",
}


def _manifest(edges: dict[str, list[str]]) -> dict:
    """A manifest with the models of PATHS, each depending on the nodes `edges` lists for it."""
    nodes = {
        f"model.strategy_engine.{name}": {
            "resource_type": "model",
            "original_file_path": path,
            "depends_on": {
                "macros": ["macro.strategy_engine.run_stamp"],
                "nodes": [parent if "." in parent else f"model.strategy_engine.{parent}"
                          for parent in edges.get(name, [])],
            },
        }
        for name, path in PATHS.items()
    }
    nodes["test.strategy_engine.not_null_signals_symbol"] = {
        "resource_type": "test",
        "original_file_path": "models/marts/signals/signals.yml",
        "depends_on": {"nodes": ["model.strategy_engine.signals"]},
    }
    return {"nodes": nodes}


SOUND = {
    "base_market_data_checked": ["source.strategy_engine.trading_data.market_data"],
    "stg_market_data": ["base_market_data_checked", "seed.strategy_engine.symbol_universe"],
    "int_market_data_adjusted": ["stg_market_data", "base_market_data_checked"],
    "int_backtest_prices": ["int_market_data_adjusted"],
    "indicators": ["int_market_data_adjusted"],
    "path_indicators": ["int_market_data_adjusted"],
    # marts may read marts
    "signals": ["indicators", "path_indicators", "int_backtest_prices"],
}


def test_sound_layering_passes(tmp_path, capsys):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(_manifest(SOUND)))
    assert check_layers.main([str(manifest)]) == 0
    assert "no backwards edge" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("model", "parent", "message"),
    [
        ("stg_market_data", "int_market_data_adjusted",
         "model.strategy_engine.stg_market_data (staging) reads model.strategy_engine.int_market_data_adjusted"),
        ("base_market_data_checked", "indicators",
         "model.strategy_engine.base_market_data_checked (staging) reads model.strategy_engine.indicators (marts)"),
        ("int_backtest_prices", "signals",
         "model.strategy_engine.int_backtest_prices (intermediate) reads model.strategy_engine.signals (marts)"),
        # a Python model is a mart
        ("int_backtest_prices", "path_indicators",
         "int_backtest_prices (intermediate) reads model.strategy_engine.path_indicators (marts)"),
    ],
)
def test_backwards_edge_fails(tmp_path, capsys, model, parent, message):
    edges = {**SOUND, model: [*SOUND[model], parent]}
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(_manifest(edges)))
    assert check_layers.main([str(manifest)]) == 1
    assert message in capsys.readouterr().err


def test_allow_list_names_single_edges():
    edges = {**SOUND, "int_backtest_prices": ["int_market_data_adjusted", "indicators", "signals"]}
    allowed = frozenset({("model.strategy_engine.int_backtest_prices", "model.strategy_engine.indicators")})
    assert check_layers.check(_manifest(edges), allowed) == [
        "model.strategy_engine.int_backtest_prices (intermediate) reads model.strategy_engine.signals (marts)"
    ]
    assert len(check_layers.check(_manifest(edges), frozenset())) == 2


def test_model_outside_the_layer_folders_fails(tmp_path, capsys):
    manifest = _manifest(SOUND)
    manifest["nodes"]["model.strategy_engine.stray"] = {
        "resource_type": "model", "original_file_path": "models/stray.sql", "depends_on": {"nodes": []},
    }
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    assert check_layers.main([str(path)]) == 1
    assert "models/stray.sql" in capsys.readouterr().err
