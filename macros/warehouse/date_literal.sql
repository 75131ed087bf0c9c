{#-
    date_literal(day, days_before=0): a date read from the warehouse before the run (run_query), as
    a SQL date literal `days_before` days earlier. The daily paths bound their scans by such
    literals (a constant filter, which DuckDB applies in the scan) rather than by subqueries.
-#}
{% macro date_literal(day, days_before=0) -%}
    {{ return("cast('" ~ (day - modules.datetime.timedelta(days=days_before)).strftime('%Y-%m-%d') ~ "' as date)") }}
{%- endmacro %}
