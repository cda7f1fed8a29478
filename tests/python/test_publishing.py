"""Write, audit, publish; idempotent rebuilds; one build at a time; hostile paths."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import time
from pathlib import Path

import duckdb
from conftest import (
    BIN_DIR,
    PROJECT_DIR,
    PUBLISHED_RELATIONS,
    Build,
    assert_succeeded,
    build,
    build_with_injected_fault,
    dbt_environment,
    lake_files,
)
from reference import expected_counts


def published_state(result: Build) -> dict[str, object]:
    """What consumers see: every file under the lake with its hash, and every published table."""
    tables = {
        table: result.query(
            f"select count(*), md5(coalesce(string_agg(t::varchar, '|' order by t::varchar), '')) from {table} as t"
        )[0]
        for table in PUBLISHED_RELATIONS
    }
    return {"files": lake_files(result.lake), "tables": tables}


def test_pairing_two_customers_fails_the_build(generated_landing, tmp_path):
    good = build(generated_landing, tmp_path / "lakehouse")
    assert_succeeded(good)
    before = published_state(good)
    failed = build_with_injected_fault(
        tmp_path / "broken-project",
        tmp_path / "lakehouse",
        generated_landing,
        "models/marts/machine_learning_curated.sql",
        "\n            and {{ paired_with_owner('device_readings.owner_key', 'accelerometer_trusted.user_key') }}",
        "",
    )
    assert failed.returncode != 0
    assert "Failure in test machine_learning_pairs_one_customer" in failed.stdout
    assert published_state(good) == before


def test_a_failed_audit_publishes_nothing(generated_landing, tmp_path):
    good = build(generated_landing, tmp_path / "lakehouse")
    assert_succeeded(good)
    before = published_state(good)

    failed = build_with_injected_fault(
        tmp_path / "broken-project",
        tmp_path / "lakehouse",
        generated_landing,
        "models/intermediate/accelerometer_trusted.sql",
        "{{ taken_after_consent('accelerometer_landing.reading_ms', 'consenting_customers.research_consent_ms') }}",
        "true",
    )
    assert failed.returncode != 0
    assert "FAIL" in failed.stdout and "Failure in test no_data_without_consent" in failed.stdout
    assert "Not published: the build did not pass" in failed.stdout
    # the violation really was written, to the audit schema only
    leaked = good.query(
        """
        select count(*) from trusted_audit.accelerometer_trusted as readings
        inner join trusted.customer_trusted as customers on readings.user_key = customers.customer_key
        where readings.reading_ms < customers.research_consent_ms
        """
    )[0][0]
    assert leaked > 0
    assert published_state(good) == before


def test_rebuilding_the_same_landing_data_gives_the_same_outputs(generated_landing, tmp_path):
    first = build(generated_landing, tmp_path / "lakehouse")
    assert_succeeded(first)
    state = published_state(first)
    second = build(generated_landing, tmp_path / "lakehouse")
    assert_succeeded(second)
    again = published_state(second)
    assert again["tables"] == state["tables"]
    assert sorted(again["files"]) == sorted(state["files"])
    for table in PUBLISHED_RELATIONS:
        zone, name = table.split(".")
        assert [p.name for p in (first.lake / zone / name).iterdir()] == [f"{name}.parquet"]
        assert first.parquet_count(zone, name) == first.count(table)


def lock_is_held(path: Path) -> bool:
    if not path.exists():
        return False
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def test_a_second_build_fails_fast_and_harms_neither(tmp_path):
    from stedi.generate import generate

    # enough data that the first build is still running when the second one starts
    landing = tmp_path / "landing"
    generate(landing, customers=25_000, seed=11)
    root = tmp_path / "lakehouse"
    root.mkdir()
    env = dbt_environment(root, landing)
    command = [str(BIN_DIR / "dbt"), "build"]
    first = subprocess.Popen(
        command,
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lock = Path(str(root / "stedi.duckdb") + ".build-lock")
    deadline = time.monotonic() + 120
    while not lock_is_held(lock) and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lock_is_held(lock), "the first build never took its lock"

    env_second = dict(
        env, DBT_TARGET_PATH=str(tmp_path / "target-2"), DBT_LOG_PATH=str(tmp_path / "logs-2")
    )
    second = subprocess.run(
        command, cwd=PROJECT_DIR, env=env_second, capture_output=True, text=True, timeout=300
    )
    output = second.stdout + second.stderr
    assert second.returncode != 0
    assert "Another build is running on" in output
    assert "Traceback" not in output
    assert "START sql" not in output  # it touched nothing
    assert first.poll() is None, "the first build ended before the second started: inconclusive"

    first_output, _ = first.communicate(timeout=600)
    assert first.returncode == 0, first_output[-4000:]
    assert "Published 6 verified tables" in first_output
    result = Build(
        landing, root, "strict", subprocess.CompletedProcess(command, 0, first_output, "")
    )
    for table in PUBLISHED_RELATIONS:
        assert result.parquet_count(*table.split(".")) == result.count(table)


def test_quotes_and_sql_in_paths_stay_paths(generated_landing, tmp_path):
    odd = tmp_path / "it's; drop table x; -- 100%"
    landing = odd / "landing"
    shutil.copytree(generated_landing, landing)
    result = build(landing, odd / "lake'house", STEDI_LAKE=str(odd / "lake'; select 1; --"))
    assert_succeeded(result)
    lake = odd / "lake'; select 1; --"
    parquet = lake / "curated" / "machine_learning_curated" / "machine_learning_curated.parquet"
    assert parquet.exists()
    expected = expected_counts(generated_landing, "strict")
    with duckdb.connect() as connection:
        rows = connection.execute(
            "select count(*) from read_parquet(?)", [str(parquet)]
        ).fetchone()[0]
    assert rows == expected["curated.machine_learning_curated"]
    assert (
        result.count("landing.accelerometer_landing") == expected["landing.accelerometer_landing"]
    )
