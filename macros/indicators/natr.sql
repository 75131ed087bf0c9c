{#-
    natr: normalized average true range, TA-Lib NATR.

    Formula: 100 * ATR / close; 0 when close is 0 (TA-Lib). Same warm-up as ATR (first row period).
    Reference: TA-Lib ta_NATR.c.
-#}
{% macro natr(atr_column, close) -%}
    case
        when {{ atr_column }} is null then null
        when {{ close }} = 0 then 0.0
        else 100.0 * {{ atr_column }} / {{ close }}
    end
{%- endmacro %}
