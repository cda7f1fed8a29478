"""Privacy you can prove: what data scientists receive, checked from the Parquet file."""

from __future__ import annotations

import duckdb
from conftest import assert_succeeded, build

TRAINING_COLUMNS = [
    "subject_id",
    "sensor_reading_ms",
    "sensor_reading_at",
    "distance_from_object",
    "x",
    "y",
    "z",
]


def parquet_rows(path, sql: str) -> list[tuple]:
    with duckdb.connect() as connection:
        return connection.execute(sql.replace("$file", f"'{path}'")).fetchall()


def test_machine_learning_parquet_has_no_direct_identifier(generated_landing, tmp_path):
    result = build(generated_landing, tmp_path / "build")
    assert_succeeded(result)
    parquet = (
        result.lake / "curated" / "machine_learning_curated" / "machine_learning_curated.parquet"
    )
    columns = [
        row[0] for row in parquet_rows(parquet, "describe select * from read_parquet($file)")
    ]
    assert columns == TRAINING_COLUMNS
    emails = {row[0] for row in result.query("select customer_key from curated.customer_curated")}
    serials = {row[0] for row in result.query("select serial_number from curated.customer_curated")}
    values = {
        str(value)
        for row in parquet_rows(parquet, "select * from read_parquet($file)")
        for value in row
    }
    assert not values & emails
    assert not values & serials


def test_subject_id_is_keyed(generated_landing, tmp_path):
    first = build(generated_landing, tmp_path / "one", STEDI_PSEUDONYM_KEY="first-secret")
    again = build(generated_landing, tmp_path / "two", STEDI_PSEUDONYM_KEY="first-secret")
    other = build(generated_landing, tmp_path / "three", STEDI_PSEUDONYM_KEY="second-secret")
    for result in (first, again, other):
        assert_succeeded(result)
    sql = "select distinct subject_id from curated.machine_learning_curated order by 1"
    assert first.query(sql) == again.query(sql)
    assert set(first.query(sql)).isdisjoint(other.query(sql))
    assert len(first.query(sql)) > 10


def test_missing_key_is_called_out(generated_landing, tmp_path):
    result = build(generated_landing, tmp_path / "build", STEDI_PSEUDONYM_KEY="")
    assert_succeeded(result)
    assert "STEDI_PSEUDONYM_KEY is not set" in result.result.stdout + result.result.stderr
