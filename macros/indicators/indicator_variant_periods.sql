{#-
    indicator_variant_periods(): the recursive-indicator parameters the enabled strategies declare as
    inputs (strategy_type(...).inputs) beyond the indicators mart's (indicator_mart_periods), so that
    a strategy with other periods (RSI 21, MACD 8/21/5, a 100-day trend EMA) needs no SQL change:
    int_indicator_variants computes them.
      rsi   RSI periods                  -> rsi_<n> (state rsi_average_gain_<n>, rsi_average_loss_<n>)
      ema   EMA periods                  -> ema_<n> (trend EMAs, and the slow EMA of variant MACDs)
      macd  [fast, slow, signal] triples -> macd_<f>_<s>_<g>, macd_signal_<f>_<s>_<g>, macd_hist_<f>_<s>_<g>
                                            (state macd_fast_ema_<f>_<s>)
    SMA and Bollinger periods need no stored column: they are plain windows, computed where the
    strategy reads them (strategy_indicator_column).
-#}
{% macro indicator_variant_periods() %}
    {%- set mart = indicator_mart_periods() -%}
    {%- set wanted = {'rsi': [], 'ema': [], 'macd': []} -%}
    {%- for param_set in strategy_param_sets(enabled_only=true) -%}
        {%- set inputs = strategy_type(param_set.strategy_type, param_set.params).inputs -%}
        {%- set ema_periods = (inputs.get('ema') or []) | list -%}
        {%- for triple in (inputs.get('macd') or []) -%}
            {%- set triple = triple | list -%}
            {%- if triple not in mart.macd -%}
                {%- if triple not in wanted.macd -%}
                    {%- do wanted.macd.append(triple) -%}
                {%- endif -%}
                {%- do ema_periods.append(triple[1]) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- for kind, periods in [('rsi', inputs.get('rsi') or []), ('ema', ema_periods)] -%}
            {%- for period in periods if period not in mart[kind] and period not in wanted[kind] -%}
                {%- do wanted[kind].append(period) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return({'rsi': wanted.rsi | sort, 'ema': wanted.ema | sort, 'macd': wanted.macd | sort}) }}
{% endmacro %}
