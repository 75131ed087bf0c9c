-- The not_null and uniqueness tests a daily run leaves out, as one query over the rows the
-- backtest step wrote (macros/tests/left_out_row_checks.sql). Its parents are the DAG's last
-- models outside the signal path, so it runs in that step after every model of it
-- (tests/python/test_cli_runner.py checks that nothing the step builds is missing).
-- depends_on: {{ ref('walk_forward') }}
-- depends_on: {{ ref('portfolio_drawdown') }}
-- depends_on: {{ ref('market_data_rejected') }}
-- depends_on: {{ ref('data_quality_warnings') }}
-- depends_on: {{ ref('portfolio_exposures') }}
{{ left_out_row_checks() }}
