{#-
    strategy_indicator_periods(): the recursive-indicator periods the enabled strategies need
    beyond the indicators mart's TA-Lib defaults, so that a strategy instance with other periods
    (RSI 21, MACD 8/21/5, a 100-day trend EMA) needs no SQL change: the mart adds columns for them.
      rsi   RSI periods other than 14            -> rsi_<n> (state rsi_average_gain_<n>, rsi_average_loss_<n>)
      ema   EMA periods other than 12/26/50/200  -> ema_<n> (trend EMAs, and the slow EMA of extra MACDs)
      macd  (fast, slow, signal) other than 12/26/9 -> macd_<f>_<s>_<g>, macd_signal_<f>_<s>_<g>
            (state macd_fast_ema_<f>_<s>)
    SMA and Bollinger periods need no mart column: they are plain windows, computed in the
    strategy's own SQL (strategy_indicator_columns).
-#}
{% macro strategy_indicator_periods() %}
    {%- set wanted = {'rsi': [], 'ema': [], 'macd': []} -%}
    {%- for param_set in strategy_param_sets(enabled_only=true) -%}
        {%- set params = param_set.params -%}
        {%- if param_set.strategy_type == 'rsi_mean_reversion' and params.period != 14 and params.period not in wanted.rsi -%}
            {%- do wanted.rsi.append(params.period) -%}
        {%- elif param_set.strategy_type == 'macd_momentum' -%}
            {%- set triple = [params.fast, params.slow, params.signal] -%}
            {%- if triple != [12, 26, 9] and triple not in wanted.macd -%}
                {%- do wanted.macd.append(triple) -%}
            {%- endif -%}
            {%- for period in [params.trend_ema] + ([params.slow] if triple != [12, 26, 9] else []) -%}
                {%- if period not in [12, 26, 50, 200] and period not in wanted.ema -%}
                    {%- do wanted.ema.append(period) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return({'rsi': wanted.rsi | sort, 'ema': wanted.ema | sort, 'macd': wanted.macd | sort}) }}
{% endmacro %}
