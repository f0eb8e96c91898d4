"""The plain SQL of the hot statements: one text with `?` for both dialects."""

from bot.core.sql import sql_for


def test_placeholders_are_numbered_for_postgresql_and_kept_for_sqlite():
    query = "SELECT a FROM t WHERE x = ? AND y IN (?, ?) AND payload = ?::json"
    assert sql_for(query, "postgres") == "SELECT a FROM t WHERE x = $1 AND y IN ($2, $3) AND payload = $4::jsonb"
    assert sql_for(query, "sqlite") == "SELECT a FROM t WHERE x = ? AND y IN (?, ?) AND payload = ?"


def test_a_question_mark_inside_a_literal_or_a_quoted_name_is_text():
    query = "SELECT '?' AS q, 'it''s ?' AS r, \"odd?name\" FROM t WHERE x = ? AND y = 'a?b'"
    assert sql_for(query, "postgres") == "SELECT '?' AS q, 'it''s ?' AS r, \"odd?name\" FROM t WHERE x = $1 AND y = 'a?b'"
    assert sql_for(query, "sqlite") == query
