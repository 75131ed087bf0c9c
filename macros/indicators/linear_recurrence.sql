{#-
    linear_recurrence: the recursion behind EMA, Wilder smoothing, RSI, ATR, ADX and the MACD
    signal line, computed with plain window sums (no recursive CTE, no UDF).

    Recursion: y_s = seed_weight * sum(x over the seed_length rows ending at row s = seed_end),
               y_t = decay * y_{t-1} + gain * x_t for t > s (NULL before s).
    Closed form: y_t = gain * sum_{j <= t} decay^(t - j) * z_j, where z_j = x_j after the seed,
    z_j = x_j * (seed_weight / gain) * decay^(j - s) on the seed rows (so the seed is just more
    input rows) and 0 before them.
    decay^(-j) overflows a double on long series, so weights are taken relative to a reference
    row r near t: y_t = gain * decay^(t - r) * sum_j decay^(r - j) * z_j. Rows are cut into blocks
    of B rows and the sum runs over a sliding frame of the last B rows (rows between B - 1
    preceding and current row): rows further back weigh at most decay^B <= 1e-17 and are dropped,
    below double precision. For t in block k, r = B * k, the start of t's block; the frame spans
    blocks k - 1 and k, so each row j carries two weighted inputs, one relative to the next even
    block start at or after it and one relative to the next odd block start at or after it
    (decay^(r - j) between decay^B and decay^-(B - 1), at most 1e260), and rows of even blocks sum
    the first, rows of odd blocks the second. Both are ROWS frames of the plain (partition_by,
    order_by) order, so every recurrence, whatever its decay, shares the window sort of the
    moving averages and rolling extremes computed in the same select (one sort per pass instead
    of two sorts per block length). B is 1024 for every decay that allows it (EMA periods 4..52,
    Wilder 3..26), so the block expressions are shared too. pow() is used rather than
    exp(k * ln(decay)), which would lose k * |ln decay| ulps. Reference: shared note "recursive
    indicators in SQL" and TA-Lib's ta_EMA.c / ta_RSI.c / ta_ATR.c / ta_ADX.c.

    Arguments: value (SQL expression, must be non-NULL from the first seed row on), decay, gain,
    seed_end (0-based row index of the first output), seed_length, seed_weight (1/m for a mean,
    1 for a sum), partition_by, order_by (a dense 0-based per-partition row index).

    Resuming (incremental runs): with resume_from set (a column holding y on the row where
    order_by = 0, e.g. the last stored value), the recursion restarts there: y_0 = resume_from,
    y_t = decay * y_{t-1} + gain * x_t for t > 0, NULL for t < 0. That is the same closed form
    with a one-row seed of weight 1, so order_by must then count rows after that anchor row
    (negative on the history rows before it) and seed_end, seed_length, seed_weight are ignored.
-#}
{% macro linear_recurrence(value, decay, gain, seed_end, seed_length, seed_weight, partition_by='symbol', order_by='bar_index', resume_from=none) -%}
    {%- if resume_from is not none -%}
        {%- set value = 'case when ' ~ order_by ~ ' = 0 then ' ~ resume_from ~ ' else ' ~ value ~ ' end' -%}
        {%- set seed_end, seed_length, seed_weight = 0, 1, 1.0 -%}
    {%- endif -%}
    {#- Block length: 1024 rows whenever decay^1024 lies in [1e-260, 1e-17] (history dropped
        beyond one block weighs <= 1e-17, weights decay^-B stay below 1e260), so recurrences of
        different decays share the block expressions; otherwise the smallest power of two from 16
        that satisfies the same bounds (EMA(2) and EMA(200) get their own). -#}
    {%- set candidates = [1024] -%}
    {%- for exponent in range(4, 31) -%}{%- do candidates.append(2 ** exponent) -%}{%- endfor -%}
    {%- set ns = namespace(block_rows=none) -%}
    {%- for candidate in candidates -%}
        {%- if ns.block_rows is none and decay ** candidate <= 1e-17 and decay ** candidate >= 1e-260 -%}
            {%- set ns.block_rows = candidate -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if ns.block_rows is none -%}
        {{ exceptions.raise_compiler_error('linear_recurrence: no block length for decay ' ~ decay) }}
    {%- endif -%}
    {%- set block_rows = ns.block_rows -%}
    {%- set block = 'cast(floor(' ~ order_by ~ ' / ' ~ block_rows ~ ') as ' ~ dbt.type_bigint() ~ ')' -%}
    {%- set is_even_block = 'mod(' ~ block ~ ', 2) = 0' -%}
    {%- set seed_first = seed_end - seed_length + 1 -%}
    {#- z_j times decay^(B * block(j) - j): relative to the start of row j's own block. -#}
    {%- set own_block_weighted -%}
        (case
            when {{ order_by }} > {{ seed_end }} then {{ value }}
            when {{ order_by }} >= {{ seed_first }} then {{ value }} * {{ seed_weight / gain }} * pow({{ decay }}, {{ order_by }} - {{ seed_end }})
            else 0
        end) * pow({{ decay }}, {{ block_rows }} * {{ block }} - {{ order_by }})
    {%- endset -%}
    {#- Relative to the next block's start instead: decay^B times smaller. -#}
    {%- set next_block_weighted = '(' ~ own_block_weighted ~ ') * ' ~ (decay ** block_rows) -%}
    {%- set frame = 'over (partition by ' ~ partition_by ~ ' order by ' ~ order_by ~ ' rows between ' ~ (block_rows - 1) ~ ' preceding and current row)' -%}
    case when {{ order_by }} >= {{ seed_end }} then
        {{ gain }} * pow({{ decay }}, {{ order_by }} - {{ block_rows }} * {{ block }}) * (
            case
                when {{ is_even_block }}
                    then sum(case when {{ is_even_block }} then {{ own_block_weighted }} else {{ next_block_weighted }} end) {{ frame }}
                else sum(case when {{ is_even_block }} then {{ next_block_weighted }} else {{ own_block_weighted }} end) {{ frame }}
            end
        )
    end
{%- endmacro %}
