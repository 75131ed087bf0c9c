{#-
    relation_has_column(relation, column_name): true when the built relation has the column.
    Lets an incremental model read an upstream column that another change adds (e.g. the
    `computed_at` of an incremental `indicators`) and fall back while it is absent. Answers true
    without asking the warehouse when nothing executes (parsing, sqlfluff) and in the offline
    BigQuery check (var se_offline_is_incremental set, macros/warehouse/is_incremental.sql), so the
    compiled SQL there is the form with the column.
-#}
{% macro relation_has_column(relation, column_name) %}
    {%- if not execute or var('se_offline_is_incremental', none) is not none -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {{ return(column_name | lower in names) }}
{% endmacro %}
