from strategy_engine.cli import entry_point

entry_point()
