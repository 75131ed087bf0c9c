-- noqa: disable=LT02
-- (sqlfluff mis-reads the indentation of SQL generated inside this Jinja-only macro.)
{#-
    delete_replayed_groups(upstream, group_columns, upstream_keys, date_column, watermark_column):
    the pre_hook of an incremental model that is computed per group (e.g. strategy, param set,
    symbol) from an upstream relation whose rows carry `computed_at`. It deletes the stored rows of
    every group that must be replayed from its first row, so the model's select sees them as new:

        replay group g  <=>  some upstream row of g dated on or before g's last stored date has
                             upstream.computed_at > max(watermark_column) of g's stored rows
                             (or g's watermark is NULL), or upstream has no such row at all

    An upstream that rewrites a changed history in full (late corporate action, corrected price)
    gives every row of the group a newer computed_at, while a daily run only adds rows after the
    last stored date, so only histories that really changed are replayed; deleting first also
    removes rows that no longer exist after the replay (a signal that no longer happens), and a
    group that vanished upstream (symbol delisted from the data, parameter set disabled) vanishes.
      upstream          relation with upstream_keys, trade_date and computed_at
      group_columns     the model's group columns; upstream_keys is the subset upstream has
      date_column       the model's date column (trade_date, signal_date)
      watermark_column  the model's copy of the upstream computed_at it was computed from (or the
                        model's own run stamp: a row written by a run is newer than every upstream
                        row that run read, and older than any row a later run rewrites)
      stored_filter     optional SQL predicate on the model's rows: only those rows are grouped,
                        checked and deleted (equity_curve: its symbol rows, not its portfolio rows)
    Does nothing unless the run is incremental.
-#}
{% macro delete_replayed_groups(upstream, group_columns, upstream_keys, date_column='trade_date', watermark_column='computed_at', stored_filter=none) %}
    {%- if not is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set key_parts = [] -%}
    {%- set stored_key_parts = [] -%}
    {%- for column in group_columns -%}
        {%- if not loop.first -%}
            {%- do key_parts.append("'|'") -%}
            {%- do stored_key_parts.append("'|'") -%}
        {%- endif -%}
        {%- do key_parts.append(column) -%}
        {%- do stored_key_parts.append('stored.' ~ column) -%}
    {%- endfor -%}
    delete from {{ this }}
    where
        {% if stored_filter is not none %}({{ stored_filter }}) and {% endif %}{{ dbt.concat(key_parts) }} in (
        select {{ dbt.concat(stored_key_parts) }}
        from (
            select
                {{ group_columns | join(', ') }},
                max({{ date_column }}) as last_date,
                max({{ watermark_column }}) as watermark
            from {{ this }}
            {%- if stored_filter is not none %}
            where {{ stored_filter }}
            {%- endif %}
            group by {{ group_columns | join(', ') }}
        ) as stored
        left join {{ upstream }} as upstream
            on
                {%- for column in upstream_keys %}
                {% if not loop.first %}and {% endif %}upstream.{{ column }} = stored.{{ column }}
                {%- endfor %}
                and upstream.trade_date <= stored.last_date
        where
            upstream.{{ upstream_keys[0] }} is null
            or stored.watermark is null
            or upstream.computed_at > stored.watermark
    )
{% endmacro %}
