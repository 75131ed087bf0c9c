{#-
    obv: on-balance volume, TA-Lib OBV.

    Formula: OBV_0 = volume_0; OBV_t = OBV_{t-1} + volume_t if close rose, - volume_t if it fell,
    unchanged if equal. obv_step gives each row's signed volume; obv is its running sum.
    TA-Lib seeding: no warm-up, the first row is the first volume.
    Reference: J. Granville; TA-Lib ta_OBV.c.
-#}
{% macro obv_step(close, volume, partition_by='symbol', order_by='trade_date') -%}
    {%- set previous_close = 'lag(' ~ close ~ ') over (partition by ' ~ partition_by ~ ' order by ' ~ order_by ~ ')' -%}
    case
        when {{ previous_close }} is null then {{ volume }}
        when {{ close }} > {{ previous_close }} then {{ volume }}
        when {{ close }} < {{ previous_close }} then -{{ volume }}
        else 0.0
    end
{%- endmacro %}

{#- resume_from: continue from a stored OBV on the row where order_by = 0 (rows after it add their steps). -#}
{% macro obv(step_column, partition_by='symbol', order_by='bar_index', resume_from=none) -%}
    {%- if resume_from is not none -%}
        case when {{ order_by }} >= 0 then
            sum(case when {{ order_by }} = 0 then {{ resume_from }} when {{ order_by }} > 0 then {{ step_column }} else 0 end)
                over (partition by {{ partition_by }} order by {{ order_by }} rows between unbounded preceding and current row)
        end
    {%- else -%}
        sum({{ step_column }}) over (partition by {{ partition_by }} order by {{ order_by }} rows between unbounded preceding and current row)
    {%- endif -%}
{%- endmacro %}
