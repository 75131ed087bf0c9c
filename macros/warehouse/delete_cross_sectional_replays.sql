{#-
    delete_cross_sectional_replays(): strategy_candidates' pre_hook for the parameter sets that read
    cross-sectional inputs (int_cross_sectional_ranks, cross_sectional_periods). A rank on day D
    depends on every symbol's prices up to D, so a rewritten history of one symbol (late corporate
    action, corrected price, a new symbol, a late row) changes the rows of the others. Those rows'
    computed_at is the newest input stamp on or before their day; a candidate row of such a set
    stores the newer of it and its indicators row's stamp as indicators_computed_at. The groups of
    these sets with an older stamp than the ranks they depend on are deleted (delete_replayed_groups)
    and recomputed from their first row. Renders nothing when no enabled set reads such an input.
-#}
{% macro delete_cross_sectional_replays() %}
    {%- set kinds = cross_sectional_periods().keys() | list -%}
    {%- set param_set_ids = [] -%}
    {%- for param_set in strategy_param_sets(enabled_only=true) -%}
        {%- set inputs = strategy_type(param_set.strategy_type, param_set.params).inputs -%}
        {%- if kinds | select('in', inputs.keys() | list) | list and param_set.param_set_id not in param_set_ids -%}
            {%- do param_set_ids.append(param_set.param_set_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not param_set_ids -%}
        {{ return('') }}
    {%- endif -%}
    {{ return(delete_replayed_groups(
        ref('int_cross_sectional_ranks'), ['strategy_id', 'param_set_id', 'symbol'], ['symbol'],
        watermark_column='indicators_computed_at',
        stored_filter="param_set_id in ('" ~ (param_set_ids | join("', '")) ~ "')"
    )) }}
{% endmacro %}
