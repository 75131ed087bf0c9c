{#-
    strategy_stop_candidate(params): SQL expression over the path_indicators columns giving the
    day's trailing-stop candidate for a long position, or null when the parameter set declares no
    trailing_stop. The position state machine (strategy_compute.positions) starts the stop at the
    entry day's candidate, ratchets it up to max(stop, candidate) each day it stays in the
    position, and exits with exit_reason 'trailing_stop' on a close below the stop carried from
    the previous day.
      trailing_stop: {type: atr_chandelier, period: 22, multiplier: 3}
          candidate = chandelier_long_<period>_<multiplier> (highest high of period rows minus
          multiplier * ATR(period)); the set must be in path_indicator_params.chandelier_long
      trailing_stop: {type: psar}
          candidate = psar (TA-Lib SAR 0.02/0.2, the first PSAR set). After a flip to a short
          trend the SAR is above the price, so the ratcheted stop exits on the next close.
-#}
{% macro strategy_stop_candidate(params) %}
    {%- set stop = params.get('trailing_stop') -%}
    {%- if not stop -%}
        {{ return('null') }}
    {%- elif stop.type == 'atr_chandelier' -%}
        {{ return(path_indicator_column('chandelier_long', stop.period, stop.multiplier, 'chandelier_long')) }}
    {%- elif stop.type == 'psar' -%}
        {{ return('psar') }}
    {%- endif -%}
    {%- do exceptions.raise_compiler_error("trailing_stop type must be atr_chandelier or psar, got " ~ (stop | tojson)) -%}
{% endmacro %}
