{#-
    cross_sectional_periods(): the cross-sectional inputs the enabled strategies declare
    (strategy_type(...).inputs), so that int_cross_sectional_ranks computes exactly those columns
    and a strategy with another lookback needs no SQL change (as indicator_variant_periods does for
    the recursive indicators). Kinds (strategy_indicator_column names their columns):
      sector_strength  N-day lookbacks                -> sector_relative_strength_<n>, sector_rank_<n>
      momentum         [lookback, skip] session pairs -> momentum_<l>_<s>, momentum_rank_<l>_<s>,
                                                         momentum_ranked_symbols_<l>_<s>
      rebalance_day    'monthly'                      -> is_month_first_session
-#}
{% macro cross_sectional_periods() %}
    {%- set wanted = {'sector_strength': [], 'momentum': [], 'rebalance_day': []} -%}
    {%- for param_set in strategy_param_sets(enabled_only=true) -%}
        {%- set inputs = strategy_type(param_set.strategy_type, param_set.params).inputs -%}
        {%- for kind in wanted -%}
            {%- for args in (inputs.get(kind) or []) -%}
                {%- set args = (args | list) if kind == 'momentum' else args -%}
                {%- if args not in wanted[kind] -%}
                    {%- do wanted[kind].append(args) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return({
        'sector_strength': wanted.sector_strength | sort,
        'momentum': wanted.momentum | sort,
        'rebalance_day': wanted.rebalance_day | sort,
    }) }}
{% endmacro %}
