{#-
    portfolio_limit_values(): a select of one row per declared portfolio with its limits, read from
    the dbt var `portfolios` (portfolio_definitions) at compile time: portfolio_id, max_positions,
    max_symbol_weight, max_sector_weight, max_gross_exposure, min_cash_weight (NULL when not set).
    The limit data tests read it, so that they check the marts against the declaration itself,
    not against a model built from it. No portfolio: a select of no row.
-#}
{% macro portfolio_limit_values() %}
    {%- set float_type = strategy_float_type() -%}
    {%- set weight_limits = ['max_symbol_weight', 'max_sector_weight', 'max_gross_exposure', 'min_cash_weight'] -%}
    {%- set rows = [] -%}
    {%- for portfolio in portfolio_definitions(resolve_members=false) -%}
        {%- set columns = ["'" ~ portfolio.portfolio_id ~ "' as portfolio_id",
            'cast(' ~ (portfolio.max_positions if portfolio.max_positions is not none else 'null') ~ ' as ' ~ dbt.type_bigint() ~ ') as max_positions'] -%}
        {%- for limit in weight_limits -%}
            {%- do columns.append('cast(' ~ (portfolio[limit] if portfolio[limit] is not none else 'null') ~ ' as ' ~ float_type ~ ') as ' ~ limit) -%}
        {%- endfor -%}
        {%- do rows.append('select ' ~ columns | join(', ')) -%}
    {%- endfor -%}
    {%- if not rows -%}
        {%- set columns = ['cast(null as ' ~ dbt.type_string() ~ ') as portfolio_id', 'cast(null as ' ~ dbt.type_bigint() ~ ') as max_positions'] -%}
        {%- for limit in weight_limits -%}
            {%- do columns.append('cast(null as ' ~ float_type ~ ') as ' ~ limit) -%}
        {%- endfor -%}
        {%- do rows.append('select ' ~ columns | join(', ') ~ ' where false') -%}
    {%- endif -%}
    {{ return(rows | join('\nunion all\n')) }}
{% endmacro %}
