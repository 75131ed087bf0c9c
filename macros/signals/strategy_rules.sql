{#-
    strategy_rules(type_spec): the final SQL of a parameter set's rules (type_spec = strategy_type(type,
    params)): is_entry_candidate and is_exit_candidate are the type's entry and exit expressions with
    NULL read as false; entry_strength and exit_strength its strength expressions clipped to [0, 1]
    (strategy_clip_unit). The expressions see the candidate row: indicator_value,
    entry_reference_value, exit_reference_value, filter_value, close_price and the previous row's
    prev_indicator_value, prev_entry_reference_value, prev_exit_reference_value.
-#}
{% macro strategy_rules(type_spec) %}
    {%- set rules = type_spec.rules -%}
    {{ return({
        'is_entry_candidate': 'coalesce(' ~ rules.entry ~ ', false)',
        'is_exit_candidate': 'coalesce(' ~ rules.exit ~ ', false)',
        'entry_strength': strategy_clip_unit(rules.entry_strength),
        'exit_strength': strategy_clip_unit(rules.exit_strength),
    }) }}
{% endmacro %}
