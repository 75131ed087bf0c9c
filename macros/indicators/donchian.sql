{#-
    donchian: Donchian channel, TA-Lib MAX(high, period) and MIN(low, period).

    Formula: highest high / lowest low over the last `period` rows. First value at row period - 1.
    band is 'high' or 'low'.
    Reference: R. Donchian; TA-Lib ta_MAX.c, ta_MIN.c.
-#}
{% macro donchian(column, band, period=20, partition_by='symbol', order_by='bar_index') -%}
    case when {{ order_by }} >= {{ period - 1 }} then
        {{ 'max' if band == 'high' else 'min' }}({{ column }}) over (
            partition by {{ partition_by }} order by {{ order_by }}
            rows between {{ period - 1 }} preceding and current row
        )
    end
{%- endmacro %}
