{#-
    Strategy type sector_rotation: hold the members of the K sectors (symbol_universe seed) with the
    highest N-session relative strength against the equal-weight universe, rebalanced monthly.
    relative strength = the sector's equal-weight N-session return - the universe's, from adjusted
    closes up to the day (int_cross_sectional_ranks). On the first session of a month (the previous
    session is in an earlier month) a member of a top-K sector is an entry candidate and every
    other symbol an exit candidate; on other days nothing changes. Fills are the next open (trades).
    Discovered by its macro name (strategy_type__<type>, docs/STRATEGIES.md).
-#}
{% macro strategy_type__sector_rotation(params=none) %}
    {%- set spec = {
        'description': 'On the first session of each month hold the members of the top_sectors sectors by lookback-session relative strength against the equal-weight universe; exit the others.',
        'defaults': {'lookback': 63, 'top_sectors': 3, 'max_holding_days': 0},
    } -%}
    {%- if params is none -%}
        {{ return(spec) }}
    {%- endif -%}
    {%- set rank = strategy_indicator_column('sector_strength', params.lookback, 'rank') -%}
    {%- set rebalance_day = strategy_indicator_column('rebalance_day', 'monthly') -%}
    {#- exit_reference_value carries K, so that the rules compare two columns of the row. -#}
    {%- do spec.update({
        'problem': 'need lookback >= 1 and top_sectors >= 1' if params.lookback < 1 or params.top_sectors < 1 else none,
        'inputs': {'sector_strength': [params.lookback], 'rebalance_day': ['monthly']},
        'columns': {
            'indicator_value': strategy_indicator_column('sector_strength', params.lookback, 'relative_strength'),
            'entry_reference_value': rank,
            'exit_reference_value': params.top_sectors,
            'filter_value': rebalance_day,
            'labels': 'sector_relative_strength_' ~ params.lookback ~ ',sector_rank_' ~ params.lookback ~ ',top_sectors,is_month_first_session',
        },
        'rules': {
            'entry': '(filter_value = 1 and entry_reference_value <= exit_reference_value)',
            'exit': '(filter_value = 1 and (entry_reference_value is null or entry_reference_value > exit_reference_value))',
            'entry_strength': '1.0',
            'exit_strength': '1.0',
        },
    }) -%}
    {{ return(spec) }}
{% endmacro %}
