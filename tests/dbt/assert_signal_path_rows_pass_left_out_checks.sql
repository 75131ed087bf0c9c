-- The not_null and uniqueness tests a daily run leaves out, as one query over the rows the signal
-- step wrote (macros/tests/left_out_row_checks.sql). Its parents are the signal step's selection
-- (strategy_engine/daily_run.py SIGNAL_PATH), so it runs in that step after every model of it.
-- depends_on: {{ ref('signals') }}
-- depends_on: {{ ref('daily_signal_digest') }}
-- depends_on: {{ ref('strategy_param_sets') }}
{{ left_out_row_checks() }}
