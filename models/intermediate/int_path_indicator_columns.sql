-- The path_indicators mart's column names, one row per output column of every configured parameter
-- set, from the naming rule's one home (macros/indicators/path_indicator_columns.sql): the Python
-- model path_indicators reads its sets and column names here instead of naming them again.
{%- set configured_columns = path_indicator_columns() %}

with

configured_columns as (

    -- typed and empty, so that a var with no sets still builds the table
    select
        cast(null as {{ dbt.type_string() }}) as indicator,
        cast(null as {{ dbt.type_int() }}) as set_index,
        cast(null as {{ dbt.type_string() }}) as family,
        cast(null as {{ dbt.type_string() }}) as column_name,
        cast(null as {{ dbt.type_int() }}) as period,
        cast(null as {{ strategy_float_type() }}) as multiplier,
        cast(null as {{ strategy_float_type() }}) as acceleration,
        cast(null as {{ strategy_float_type() }}) as maximum
    where false
    {%- for column in configured_columns %}
    union all
    select
        '{{ column.indicator }}' as indicator,
        {{ column.set_index }} as set_index,
        '{{ column.family }}' as family,
        '{{ column.column_name }}' as column_name,
        {{ 'null' if column.period is none else column.period }} as period,
        {{ 'null' if column.multiplier is none else column.multiplier }} as multiplier,
        {{ 'null' if column.acceleration is none else column.acceleration }} as acceleration,
        {{ 'null' if column.maximum is none else column.maximum }} as maximum
    {%- endfor %}

),

final as (

    select * from configured_columns

)

select * from final
