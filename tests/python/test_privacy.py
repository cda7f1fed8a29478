"""Privacy you can prove: what data scientists receive, checked from the Parquet file."""

from __future__ import annotations

import hashlib
import hmac
import re
import stat
import subprocess

import duckdb
import pytest
from conftest import PROJECT_DIR, assert_succeeded, build

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


def test_subject_id_is_keyed(built, generated_landing, tmp_path):
    """The same key gives the same subject ids in another lakehouse; another key gives
    other ids, also to a lakehouse that already holds ids made with the first key."""
    first = built("generated", generated_landing, "strict")
    sql = "select distinct subject_id from curated.machine_learning_curated order by 1"
    first_ids = first.query(sql)
    assert len(first_ids) > 10
    same_key = {"STEDI_PSEUDONYM_KEY_FILE": str(first.root / "pseudonym.key")}
    again = build(generated_landing, tmp_path / "two", **same_key)
    assert_succeeded(again)
    assert again.query(sql) == first_ids
    other = build(generated_landing, tmp_path / "two", STEDI_PSEUDONYM_KEY="second-secret")
    assert_succeeded(other)
    other_ids = other.query(sql)
    assert set(first_ids).isdisjoint(other_ids)
    assert len(other_ids) == len(first_ids)


def test_without_a_key_a_private_key_is_generated_once_and_kept(generated_landing, tmp_path):
    first = build(generated_landing, tmp_path / "one", STEDI_PSEUDONYM_KEY="")
    assert_succeeded(first)
    key_file = first.root / "pseudonym.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    assert len(key) >= 40
    # the next build reuses it: subject ids are stable
    again = build(generated_landing, tmp_path / "one", STEDI_PSEUDONYM_KEY="")
    assert_succeeded(again)
    assert key_file.read_text().strip() == key
    sql = "select distinct subject_id from curated.machine_learning_curated order by 1"
    assert first.query(sql) == again.query(sql)
    # and no string of the repository recomputes a subject id, however it is combined
    subjects = {row[0] for row in first.query(sql)}
    customers = [
        row[0] for row in first.query("select customer_key from curated.customer_curated limit 5")
    ]
    # the constructions are the right shape: with the key itself they do find subjects
    assert any(constructions(key, customer)[0] in subjects for customer in customers)
    candidates = repository_strings()
    assert len(candidates) > 1000
    for customer in customers:
        for candidate in candidates:
            for digest in constructions(candidate, customer):
                assert digest not in subjects, (candidate, customer)


def repository_strings() -> set[str]:
    """Every line, word and quoted text of every file git tracks."""
    listed = subprocess.run(
        ["git", "ls-files"], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    )
    strings: set[str] = {""}
    for name in listed.stdout.splitlines():
        path = PROJECT_DIR / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_text(errors="ignore")
        for line in text.splitlines():
            strings.add(line.strip())
            strings.update(line.split())
            strings.update(re.findall(r"['\"]([^'\"]{1,200})['\"]", line))
    return strings


def constructions(candidate: str, customer: str) -> list[str]:
    """Keyed hashes a reader might try: the project's own, reversed, HMAC, unkeyed."""
    return [
        hashlib.sha256(f"{candidate}\x1f{customer}".encode()).hexdigest(),
        hashlib.sha256(f"{candidate}{customer}".encode()).hexdigest(),
        hashlib.sha256(f"{customer}{candidate}".encode()).hexdigest(),
        hmac.new(candidate.encode(), customer.encode(), hashlib.sha256).hexdigest(),
    ]


def test_the_data_scientists_file_stands_alone(generated_landing, tmp_path):
    result = build(generated_landing, tmp_path / "build")
    assert_succeeded(result)
    handover = result.root / "ml.duckdb"
    with duckdb.connect(str(handover), read_only=True) as connection:
        tables = connection.execute(
            "select schema_name, table_name from duckdb_tables()"
        ).fetchall()
        assert tables == [("main", "machine_learning_curated")]
        assert connection.execute(
            "select count(*) from duckdb_views() where not internal"
        ).fetchone() == (0,)
        assert connection.execute("select count(*) from machine_learning_curated").fetchone()[
            0
        ] == result.count("curated.machine_learning_curated")
        documented = connection.execute(
            "select comment from duckdb_tables() where table_name = 'machine_learning_curated'"
        ).fetchone()[0]
        assert "data scientists" in documented and "stedi_build_id" in documented
        # the join that puts an e-mail on every subject through the lakehouse file finds
        # nothing to join to here
        with pytest.raises(duckdb.CatalogException):
            connection.execute(
                """
                select customer_curated.email
                from machine_learning_curated
                inner join trusted.step_trainer_trusted
                    using (sensor_reading_ms, distance_from_object)
                inner join curated.customer_curated using (serial_number)
                """
            )
    # and no byte of the file holds an e-mail address, a name or a serial number
    raw = handover.read_bytes()
    identified = result.query(
        "select email, customer_name, serial_number from trusted.customer_trusted"
    )
    assert identified
    for row in identified:
        for value in row:
            assert value.encode() not in raw, value
