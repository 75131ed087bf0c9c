{#-
    ml_first_changed_date(): a query of one row, `first_changed_date`, the first trade date an ML
    mart (ml_market_features, ml_features, ml_labels) must recompute: the oldest day of
    int_market_data_adjusted staged after the model's stored watermark (ml_stored_watermark()).
    A daily run gives the new day; a restaged symbol (late corporate action, corrected price) gives
    its first day, since int_market_data_adjusted restamps every row of such a symbol; no new
    rows give NULL, and the model then writes nothing. Every value of these marts on day D is a
    function of adjusted prices up to D (features) or up to session D + N (labels), so the days
    before first_changed_date (minus the labels' horizon) keep their values.
-#}
{% macro ml_first_changed_date() %}
    select min(trade_date) as first_changed_date
    from {{ ref('int_market_data_adjusted') }}
    where computed_at > {{ ml_stored_watermark() }}
{% endmacro %}
