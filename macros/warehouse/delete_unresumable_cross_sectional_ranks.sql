-- noqa: disable=LT02
-- (sqlfluff mis-reads the indentation of SQL generated inside this Jinja-only macro.)
{#-
    delete_unresumable_cross_sectional_ranks(): int_cross_sectional_ranks' pre_hook. When an
    incremental run cannot add only the new days (cross_sectional_ranks_resume: an input dated on or
    before the newest stored day changed, or a declared column is not stored), it deletes every
    stored row, and the model computes all rows again, as a first build does. Renders nothing
    otherwise (a plain daily run) and on a first build.
-#}
{% macro delete_unresumable_cross_sectional_ranks() %}
    {%- if not is_incremental() or cross_sectional_ranks_resume().resumable -%}
        {{ return('') }}
    {%- endif -%}
    delete from {{ this }} where true
{% endmacro %}
