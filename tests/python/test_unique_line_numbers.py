"""The DuckDB query of the line-number uniqueness test (tests/dbt/generic/unique_line_numbers.sql
dispatches to macros/landing/number_landing_lines.sql): a file numbered from rowids passes
without grouping its lines; any other file is grouped exactly, so a duplicate is found
wherever it is."""

from __future__ import annotations

import duckdb
import pytest
from conftest import render_jinja_block


def uniqueness_test_sql(model: str) -> str:
    return render_jinja_block(
        "macros/landing/number_landing_lines.sql",
        "{% macro duckdb__landing_duplicate_line_numbers(model) %}",
        "{% endmacro %}",
        model=model,
    )


@pytest.fixture
def checked():
    """Two files of three lines, numbered by the number_landing_lines post-hook itself."""
    con = duckdb.connect()
    con.execute(
        """
        create table checked as
        select *
        from (values ('a', null), ('a', null), ('a', null), ('b', null),
                     ('b', null), ('b', null)) as t(source_file, line_number);
        create table files_read as select * from (values ('a'), ('b')) as t(source_file)
        """
    )
    con.execute(
        render_jinja_block(
            "macros/landing/number_landing_lines.sql",
            "{% macro duckdb__number_landing_lines(source_name) %}",
            "{% endmacro %}",
            this="checked",
            landing_files_read_table=lambda source_name: "files_read",
        )
    )
    assert con.execute("select * from checked order by rowid").fetchall() == [
        ("a", 1),
        ("a", 2),
        ("a", 3),
        ("b", 1),
        ("b", 2),
        ("b", 3),
    ]
    return con


def found(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return sorted(con.execute(uniqueness_test_sql("checked")).fetchall(), key=str)


def test_lines_numbered_from_rowids_pass(checked):
    assert found(checked) == []


def test_a_repeated_line_number_is_found(checked):
    checked.execute(
        "update checked set line_number = 2 where source_file = 'b' and line_number = 3"
    )
    assert found(checked) == [("b", 2, 2)]


def test_numbers_shifted_past_an_unreadable_line_pass_when_unique(checked):
    # record_unreadable_lines: line 2 of 'a' was unreadable, the readable lines after it move
    checked.execute(
        "update checked set line_number = line_number + 1 where source_file = 'a' and line_number >= 2"
    )
    checked.execute("insert into checked values ('a', 2)")
    assert found(checked) == []
    checked.execute("insert into checked values ('a', 4)")
    assert found(checked) == [("a", 4, 2)]


def test_missing_line_numbers_count_as_one_key(checked):
    checked.execute("insert into checked values ('c', null), ('c', null), (null, 1), (null, 1)")
    assert found(checked) == sorted([("c", None, 2), (None, 1, 2)], key=str)
