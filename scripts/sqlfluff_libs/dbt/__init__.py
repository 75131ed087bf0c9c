"""Stand-ins for dbt's cross-database macros so sqlfluff's jinja templater can render models.

sqlfluff only needs SQL of the right shape to lint; dbt renders the real, dispatched SQL.
"""


def type_string() -> str:
    return "varchar"


def type_float() -> str:
    return "double"


def type_bigint() -> str:
    return "bigint"


def type_int() -> str:
    return "integer"


def type_timestamp() -> str:
    return "timestamp"


def type_numeric() -> str:
    return "numeric"


def type_boolean() -> str:
    return "boolean"


def current_timestamp() -> str:
    return "current_timestamp"


def dateadd(datepart: str, interval: object, from_date_or_timestamp: str) -> str:
    return f"({from_date_or_timestamp} + interval {interval} {datepart})"


def datediff(first_date: str, second_date: str, datepart: str) -> str:
    return f"date_diff('{datepart}', {first_date}, {second_date})"


def date_trunc(datepart: str, date: str) -> str:
    return f"date_trunc('{datepart}', {date})"


def hash(field: str) -> str:  # noqa: A001 - mirrors dbt.hash
    return f"md5(cast({field} as varchar))"


def concat(fields: list[str]) -> str:
    return "concat(" + ", ".join(fields) + ")"


def safe_cast(field: str, type_: str) -> str:
    return f"try_cast({field} as {type_})"


def listagg(measure: str, delimiter_text: str = "','", order_by_clause: str | None = None,
            limit_num: int | None = None) -> str:
    order = f" {order_by_clause}" if order_by_clause else ""
    return f"string_agg({measure}, {delimiter_text}{order})"
