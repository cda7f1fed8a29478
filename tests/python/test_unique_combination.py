"""The grain test itself: it must find every duplicate key and nothing else, even when
different keys share a hash (tests/dbt/generic/unique_combination.sql)."""

from __future__ import annotations

import duckdb
import pytest
from conftest import render_jinja_block


def grain_test_sql(model: str, columns: list[str]) -> str:
    return render_jinja_block(
        "tests/dbt/generic/unique_combination.sql",
        "{% test unique_combination(model, columns) %}",
        "{% endtest %}",
        model=model,
        columns=columns,
    )


@pytest.fixture
def readings():
    con = duckdb.connect()
    con.execute(
        """
        create table readings as select * from (values
            ('a', 1), ('a', 2), ('b', 1), ('b', 1), ('b', 1),
            (null, 3), (null, 3), ('c', null), ('c', null), ('d', null)
        ) as t(source_file, line_number)
        """
    )
    return con


@pytest.mark.parametrize("hash_function", ["hash", "colliding_hash"])
def test_grain_test_reports_exactly_the_duplicate_keys(readings, hash_function):
    # colliding_hash gives every key the same hash: the exact step must still decide
    readings.execute("create macro colliding_hash(a, b) as 42")
    sql = grain_test_sql("readings", ["source_file", "line_number"])
    assert "hash(" in sql, "the grain test no longer groups on hash(): update this test"
    sql = sql.replace("hash(", f"{hash_function}(")
    found = sorted(readings.execute(sql).fetchall(), key=str)
    assert found == sorted([("b", 1, 3), (None, 3, 2), ("c", None, 2)], key=str)


def test_grain_test_passes_unique_keys(readings):
    readings.execute("delete from readings where (source_file, line_number) in (('b', 1))")
    readings.execute("delete from readings where source_file is null or line_number is null")
    assert (
        readings.execute(grain_test_sql("readings", ["source_file", "line_number"])).fetchall()
        == []
    )
