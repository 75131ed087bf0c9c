{#-
    Strategy type cross_sectional_momentum: hold the top_fraction of the symbols ranked by their
    lookback/skip momentum (12-1 month: close 21 sessions ago / close 252 sessions ago - 1, from
    adjusted closes up to the day, int_cross_sectional_ranks), at least one symbol, rebalanced
    monthly. On the first session of a month (the previous session is in an earlier month) a symbol
    ranked within greatest(1, floor(top_fraction x symbols ranked that day)) is an entry candidate and
    every other symbol an exit candidate; on other days nothing changes. Fills are the next open.
    Discovered by its macro name (strategy_type__<type>, docs/STRATEGIES.md).
-#}
{% macro strategy_type__cross_sectional_momentum(params=none) %}
    {%- set spec = {
        'description': 'On the first session of each month hold the top_fraction of symbols by momentum (close skip sessions ago over close lookback sessions ago); exit the others.',
        'defaults': {'lookback': 252, 'skip': 21, 'top_fraction': 0.1, 'max_holding_days': 0},
    } -%}
    {%- if params is none -%}
        {{ return(spec) }}
    {%- endif -%}
    {%- set window = [params.lookback, params.skip] -%}
    {%- set ranked_symbols = strategy_indicator_column('momentum', window, 'ranked_symbols') -%}
    {%- set valid = params.skip >= 0 and params.lookback > params.skip and params.top_fraction > 0 and params.top_fraction <= 1 -%}
    {#- exit_reference_value is the rank cutoff of the day, so that the rules compare two columns
        (NULL, not 1, for an unranked symbol: BigQuery's greatest() is NULL with a NULL argument). -#}
    {%- do spec.update({
        'problem': none if valid else 'need 0 <= skip < lookback and 0 < top_fraction <= 1',
        'inputs': {'momentum': [window], 'rebalance_day': ['monthly']},
        'columns': {
            'indicator_value': strategy_indicator_column('momentum', window, 'return'),
            'entry_reference_value': strategy_indicator_column('momentum', window, 'rank'),
            'exit_reference_value': 'case when ' ~ ranked_symbols ~ ' is not null then greatest(1, floor(' ~ params.top_fraction ~ ' * ' ~ ranked_symbols ~ ')) end',
            'filter_value': strategy_indicator_column('rebalance_day', 'monthly'),
            'labels': 'momentum_' ~ (window | join('_')) ~ ',momentum_rank_' ~ (window | join('_')) ~ ',held_rank_cutoff,is_month_first_session',
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
