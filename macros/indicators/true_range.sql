{#-
    true_range: Wilder's true range, TA-Lib TRANGE.

    Formula: max(high - low, |high - previous close|, |low - previous close|). NULL on a symbol's
    first row (no previous close), like TA-Lib. Written with CASE, not GREATEST, so it behaves the
    same on BigQuery (whose GREATEST returns NULL if any argument is NULL).
    Reference: Wilder (1978); TA-Lib ta_TRANGE.c.
-#}
{% macro true_range(high, low, close, partition_by='symbol', order_by='trade_date') -%}
    {%- set previous_close = 'lag(' ~ close ~ ') over (partition by ' ~ partition_by ~ ' order by ' ~ order_by ~ ')' -%}
    case
        when {{ previous_close }} is null then null
        when {{ high }} - {{ low }} >= abs({{ high }} - {{ previous_close }})
            and {{ high }} - {{ low }} >= abs({{ low }} - {{ previous_close }})
            then {{ high }} - {{ low }}
        when abs({{ high }} - {{ previous_close }}) >= abs({{ low }} - {{ previous_close }})
            then abs({{ high }} - {{ previous_close }})
        else abs({{ low }} - {{ previous_close }})
    end
{%- endmacro %}
