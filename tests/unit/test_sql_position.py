"""Pointing at an undeclared column in a model's SQL."""

from __future__ import annotations

from floe_ci.governance.rules.sql_position import find_column_in_sql

SQL = """with c as (
    select email as contact_email from {{ ref('stg') }}
)
select
    contact_email,
    lower(contact_email) as "Email_Lower"
from c
"""


def test_the_last_alias_wins() -> None:
    # `as contact_email` in the CTE is the only alias of that name.
    assert find_column_in_sql(SQL, "contact_email") == (2, 21)


def test_quoted_alias_and_case() -> None:
    assert find_column_in_sql(SQL, "email_lower") == (6, 29)  # at the opening quote


def test_a_bare_mention_when_there_is_no_alias() -> None:
    assert find_column_in_sql("select id from t", "id") == (1, 8)


def test_nothing_to_point_at() -> None:
    assert find_column_in_sql(SQL, "phone") is None
    assert find_column_in_sql("", "x") is None
