-- noqa: disable=LT02
-- (sqlfluff mis-reads the indentation of this Jinja-only macro's text as SQL.)
{#-
    strategy_indicator_column(kind, args, output=none): the SQL expression of one indicator input of
    a strategy type, over the candidate model's rows (indicators mart columns, joined with the
    int_indicator_variants and path_indicators columns the enabled sets need). The type declares the
    same input in its `inputs` (kind -> list of args) so that those models provide it.
      kind        args                   output                   expression
      sma         period                 -                        sma_<n> of the mart, else a window (strategy_rolling_stat)
      ema         period                 -                        ema_<n> (mart or int_indicator_variants)
      rsi         period                 -                        rsi_<n> (mart or int_indicator_variants)
      macd        [fast, slow, signal]   line, signal, histogram  macd[_<f>_<s>_<g>], macd_signal[...], macd_hist[...]
      bollinger   [period, num_stddev]   upper, middle, lower     bb_* of the mart, else windows (population stddev)
      supertrend  [period, multiplier]   direction, line          path_indicators columns (path_indicator_column)
    Cross-sectional inputs (int_cross_sectional_ranks, periods from cross_sectional_periods):
      sector_strength  lookback          relative_strength, rank   sector_relative_strength_<n>, sector_rank_<n>
      momentum         [lookback, skip]  return, rank,             momentum_<l>_<s>, momentum_rank_<l>_<s>,
                                         ranked_symbols            momentum_ranked_symbols_<l>_<s>
      rebalance_day    'monthly'         -                         1 on the first session of a month, else 0
-#}
{% macro strategy_indicator_column(kind, args, output=none) %}
    {%- set mart = indicator_mart_periods() -%}
    {%- if kind == 'sma' -%}
        {{ return('sma_' ~ args if args in mart.sma else strategy_rolling_stat('avg', 'close', args)) }}
    {%- elif kind in ('ema', 'rsi') -%}
        {{ return(kind ~ '_' ~ args) }}
    {%- elif kind == 'macd' and output in ('line', 'signal', 'histogram') -%}
        {%- set suffix = '' if (args | list) in mart.macd else '_' ~ (args | join('_')) -%}
        {{ return({'line': 'macd', 'signal': 'macd_signal', 'histogram': 'macd_hist'}[output] ~ suffix) }}
    {%- elif kind == 'bollinger' and output in ('upper', 'middle', 'lower') -%}
        {%- set period, num_stddev = args -%}
        {%- if (args | list) in mart.bollinger -%}
            {{ return('bb_' ~ output) }}
        {%- endif -%}
        {%- set middle = strategy_rolling_stat('avg', 'close', period) -%}
        {%- set deviation = strategy_rolling_stat('stddev_pop', 'close', period) -%}
        {%- if output == 'middle' -%}
            {{ return(middle) }}
        {%- endif -%}
        {{ return('(' ~ middle ~ ') ' ~ ('-' if output == 'lower' else '+') ~ ' ' ~ num_stddev ~ ' * (' ~ deviation ~ ')') }}
    {%- elif kind == 'supertrend' and output in ('direction', 'line') -%}
        {%- set period, multiplier = args -%}
        {{ return(path_indicator_column('supertrend', period, multiplier, 'supertrend_direction' if output == 'direction' else 'supertrend')) }}
    {%- elif kind == 'sector_strength' and output in ('relative_strength', 'rank') -%}
        {{ return('sector_' ~ output ~ '_' ~ args) }}
    {%- elif kind == 'momentum' and output in ('return', 'rank', 'ranked_symbols') -%}
        {%- set suffix = '_' ~ (args | join('_')) -%}
        {{ return({'return': 'momentum', 'rank': 'momentum_rank', 'ranked_symbols': 'momentum_ranked_symbols'}[output] ~ suffix) }}
    {%- elif kind == 'rebalance_day' and args == 'monthly' -%}
        {#- An integer, so that the candidate model can store it as filter_value (BigQuery casts no
            boolean to FLOAT64). -#}
        {{ return('case when is_month_first_session then 1 else 0 end') }}
    {%- endif -%}
    {%- do exceptions.raise_compiler_error("strategy_indicator_column: no indicator input " ~ kind ~ " " ~ (args | tojson) ~ " output " ~ output) -%}
{% endmacro %}
