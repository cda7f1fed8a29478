"""The same dbt project on Spark gives the same rows as on DuckDB, relation by relation.

Each dataset and policy is built once with DuckDB and once on Spark (PARITY_BUILDS): local
Spark (the `spark` target: dbt-spark's session method, `local[2]` inside dbt's process) or
a standalone Spark cluster (the `spark_cluster` target: dbt-spark's thrift method against
the Thrift server of the session's cluster, two workers in their own JVMs, see conftest). DuckDB
rows are read from the .duckdb file; Spark's trusted and curated rows from the Parquet
files it published, its landing views and quarantine exported to Parquet right after the
build (through a pyspark session on the catalog under the build's target folder, or by the
cluster itself). Each relation is compared by row count and by an order-independent
checksum of its normalised rows.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb
import psutil
import pytest
from bad_input import ACCEPTED, SEVERAL_FAULTS_FILE, write_bad_landing
from conftest import (
    COURSE_V2,
    LANDING_RELATIONS,
    PROJECT_DIR,
    PUBLISHED_RELATIONS,
    Build,
    SparkCluster,
    assert_succeeded,
    build,
    build_watching,
    build_with_injected_fault,
    erase_on_duckdb,
    lake_files,
    require_course_data,
    run_dbt,
)

# one test worker runs every Spark test: they share the session's Spark builds and cluster
pytestmark = pytest.mark.xdist_group("spark")

pytest.importorskip(
    "pyspark",
    reason="pyspark is not installed: `make setup-spark` installs requirements-spark.txt",
)

# A key with a quote, a ${...}, non-ASCII and a word Spark redacts (secret): it must reach
# every engine unchanged.
PSEUDONYM_KEY = "parity secret key: it's ${not.a.setting} – ключ"
FLOAT_DIGITS = 9

Row = tuple[object, ...]


def normalised(value: object) -> object:
    """Timestamps arrive as epoch ms (see `rows`); floats to a fixed precision."""
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return f"{value:.{FLOAT_DIGITS}g}"
    return value


def rows(connection: duckdb.DuckDBPyConnection, relation_sql: str) -> tuple[list[str], list[Row]]:
    """Column names and normalised rows; timestamp columns as epoch milliseconds."""
    described = connection.execute(f"describe select * from {relation_sql}").fetchall()
    names = [column[0] for column in described]
    selected = [
        f'epoch_ms("{name}") as "{name}"' if column_type.startswith("TIMESTAMP") else f'"{name}"'
        for name, column_type, *_ in described
    ]
    fetched = connection.execute(f"select {', '.join(selected)} from {relation_sql}").fetchall()
    return names, [tuple(normalised(value) for value in row) for row in fetched]


def checksum(table_rows: Iterable[Row]) -> str:
    """Order-independent: the hash of the sorted row representations."""
    digest = hashlib.sha256()
    for line in sorted(repr(row) for row in table_rows):
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()


class SparkBuild:
    """A Spark build, and its relations exported once to Parquet for reading with DuckDB.
    On the cluster, also the tasks each worker completed during the build."""

    def __init__(
        self,
        result: Build,
        cluster: SparkCluster | None = None,
        tasks_by_worker: Counter[str] | None = None,
    ) -> None:
        self.result = result
        self.export = result.root / "export"
        self.tasks_by_worker = tasks_by_worker
        self.killed_worker: dict[str, object] = {}
        if cluster is not None:
            # the cluster's catalog is shared by every build: export before the next one
            cluster.export_relations(LANDING_RELATIONS, self.export)
            return
        command = [
            sys.executable,
            "-m",
            "stedi.spark",
            "--target",
            str(result.root / "target"),
            "--out",
            str(self.export),
            *LANDING_RELATIONS,
        ]
        exported = subprocess.run(command, capture_output=True, text=True, timeout=600)
        assert exported.returncode == 0, exported.stderr[-4000:]

    def relation_sql(self, relation: str) -> str:
        if relation in LANDING_RELATIONS:
            folder = self.export / relation
        else:
            folder = self.result.published_folder(*relation.split("."))
        return f"read_parquet('{folder}/*.parquet')"


@pytest.fixture(scope="module")
def bad_generated_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small generated data with one line of every kind of bad input mixed in, in a folder
    whose name holds a quote, SQL and a percent sign (it must stay a path on both engines),
    and one customer erased on DuckDB (so both engines build beside an erasure log)."""
    from stedi.generate import generate

    landing = (
        tmp_path_factory.mktemp("parity-generated") / "it's; drop table x; -- 100%" / "landing"
    )
    generate(landing, customers=300, seed=23, rows_per_file=4_000, workers=1)
    [generated_customers] = (landing / "customer").iterdir()
    erased_email = json.loads(generated_customers.read_text().splitlines()[0])["email"]
    write_bad_landing(landing)
    # Spark splits a file that is not UTF-8 as bytes: CRLF and a lone CR there, and a
    # real U+FFFD that must stay a valid character next to a byte that is not UTF-8
    reading = '{{"user":"{}","timestamp":{},"x":0.0,"y":1.0,"z":-1.0}}'
    (landing / "accelerometer" / "accelerometer-mixed.json").write_bytes(
        reading.format("bob\ufffd@example.com", 1655564376800).encode()
        + b"\r\n"
        + reading.format("bob@example.com", 1655564376900).encode()
        + b"\r"
        + b"\xff not UTF-8 \xfe"
        + b"\r\n"
        + reading.format("cat@example.com", 1655564377000).encode()
    )
    erase_on_duckdb(erased_email, landing, landing.parent / "erasure", PSEUDONYM_KEY)
    return landing


# The cluster build of this dataset and policy loses a worker part-way (SIGKILL): its
# result must still equal DuckDB's, relation by relation
KILL_A_WORKER_IN = ("generated-with-bad-input", "rubric")


def cluster_build(
    cluster: SparkCluster, landing: Path, root: Path, policy: str, kill_a_worker: bool, **env: str
) -> SparkBuild:
    """A build on the session's cluster, with the tasks each worker completed during it;
    with kill_a_worker, worker-2 is killed a few models in, and started again after."""
    before = cluster.completed_tasks_by_worker()
    killed: dict[str, object] = {}
    [victim] = cluster.pids("worker-2")

    def kill_worker_two(lines: list[str]) -> None:
        if kill_a_worker and not killed and sum(" OK created " in seen for seen in lines) >= 3:
            os.kill(victim, signal.SIGKILL)
            killed.update(pid=victim, after_line=lines[-1])

    # the lake as a path relative to the project folder (dbt's working folder), which is
    # not the Thrift server's: dbt must make it absolute for the server and the executors
    lake = os.path.relpath(root / "lake", PROJECT_DIR)
    on_spark = build_watching(
        landing, root, policy, kill_worker_two, STEDI_LAKE=lake, **cluster.env(), **env
    )
    ran = cluster.completed_tasks_by_worker() - before
    if killed:
        killed["alive_workers_after_build"] = cluster.master_status()["aliveworkers"]
        restarted = cluster.command("up")
        killed["restart"] = restarted.stdout + restarted.stderr
        assert restarted.returncode == 0, killed["restart"]
    assert_succeeded(on_spark)
    spark_build = SparkBuild(on_spark, cluster, ran)
    spark_build.killed_worker = killed
    return spark_build


@pytest.fixture(scope="module")
def engine_builds(
    tmp_path_factory: pytest.TempPathFactory,
    bad_generated_landing: Path,
    request: pytest.FixtureRequest,
):
    """builds(dataset, policy, target) -> (DuckDB build, Spark build), each built once."""
    duckdb_cache: dict[tuple[str, str], Build] = {}
    spark_cache: dict[tuple[str, str, str], SparkBuild] = {}
    env = {"STEDI_PSEUDONYM_KEY": PSEUDONYM_KEY}

    def builds(dataset: str, policy: str, target: str = "spark") -> tuple[Build, SparkBuild]:
        landing = (
            require_course_data(COURSE_V2) if dataset == "course-2023" else bad_generated_landing
        )
        if (dataset, policy) not in duckdb_cache:
            root = tmp_path_factory.mktemp(f"parity-{dataset}-{policy}")
            duckdb_cache[(dataset, policy)] = build(landing, root / "duckdb", policy, **env)
        on_duckdb = duckdb_cache[(dataset, policy)]
        assert_succeeded(on_duckdb)
        if (dataset, policy, target) not in spark_cache:
            root = on_duckdb.root.parent / target
            if target == "spark":
                on_spark = build(landing, root, policy, STEDI_TARGET="spark", **env)
                assert_succeeded(on_spark)
                spark_cache[(dataset, policy, target)] = SparkBuild(on_spark)
            else:
                cluster: SparkCluster = request.getfixturevalue("spark_cluster")
                spark_cache[(dataset, policy, target)] = cluster_build(
                    cluster, landing, root, policy, (dataset, policy) == KILL_A_WORKER_IN, **env
                )
        return on_duckdb, spark_cache[(dataset, policy, target)]

    return builds


def difference(left: Sequence[Row], right: Sequence[Row]) -> str:
    only_left = list((Counter(left) - Counter(right)).elements())[:5]
    only_right = list((Counter(right) - Counter(left)).elements())[:5]
    return f"only on DuckDB: {only_left}\nonly on Spark: {only_right}"


def compare_relations(on_duckdb: Build, on_spark: SparkBuild) -> tuple[list[str], set[str]]:
    """Relations whose rows differ between the engines, and relations empty on DuckDB."""
    mismatches = []
    empty: set[str] = set()
    with (
        duckdb.connect(str(on_duckdb.database), read_only=True) as duckdb_side,
        duckdb.connect() as spark_side,
    ):
        for relation in LANDING_RELATIONS + PUBLISHED_RELATIONS:
            duckdb_names, duckdb_rows = rows(duckdb_side, on_duckdb.published(relation))
            spark_names, spark_rows = rows(spark_side, on_spark.relation_sql(relation))
            assert spark_names == duckdb_names, relation
            if (len(spark_rows), checksum(spark_rows)) != (len(duckdb_rows), checksum(duckdb_rows)):
                mismatches.append(
                    f"{relation}: {len(duckdb_rows)} rows on DuckDB, {len(spark_rows)} on Spark\n"
                    + difference(duckdb_rows, spark_rows)
                )
            if not duckdb_rows:
                empty.add(relation)
    return mismatches, empty


# Each Spark target on its own data: local Spark on the course export under strict, the
# cluster on the generated data with every kind of bad input in both policies. Both targets
# run the same dbt-spark SQL, and Spark's readers run alike in the session's executor and
# the cluster's; the policies differ only in the rule macros, rendered alike for every
# target. Each further Spark build adds about three minutes to a test run that must stay
# under twenty.
PARITY_BUILDS = [
    ("course-2023", "strict", "spark"),
    ("generated-with-bad-input", "strict", "spark_cluster"),
    ("generated-with-bad-input", "rubric", "spark_cluster"),
]
# the strict build of each target that the tests below look into
STRICT_BUILD = {"spark": "course-2023", "spark_cluster": "generated-with-bad-input"}


@pytest.mark.parametrize(("dataset", "policy", "target"), PARITY_BUILDS)
def test_every_relation_has_the_same_rows_on_spark(dataset, policy, target, engine_builds):
    on_duckdb, on_spark = engine_builds(dataset, policy, target)
    assert "Published 6 verified tables" in on_spark.result.result.stdout
    if target == "spark_cluster":
        # really distributed: both workers' executors completed tasks of this build
        assert on_spark.tasks_by_worker is not None
        assert len(on_spark.tasks_by_worker) == 2, on_spark.tasks_by_worker
        assert all(count > 0 for count in on_spark.tasks_by_worker.values())
    mismatches, empty = compare_relations(on_duckdb, on_spark)
    assert not mismatches, "\n".join(mismatches)
    # an empty relation proves nothing: only these may be, by the data and the policy
    may_be_empty = {"landing.rejected_records", "trusted.step_trainer_unattributed"}
    assert empty <= (
        may_be_empty if dataset == "course-2023" else may_be_empty - {"landing.rejected_records"}
    )


def test_the_quarantine_holds_the_same_lines_for_the_same_reasons(engine_builds):
    on_duckdb, on_spark = engine_builds("generated-with-bad-input", "strict", "spark_cluster")
    expected = write_bad_landing(on_duckdb.root / "expected")
    quarantine_sql = (
        "select source_name, source_file, line_number, rejection_reason, rejected_field from "
    )
    with duckdb.connect(str(on_duckdb.database), read_only=True) as connection:
        on_duckdb_rows = set(
            connection.execute(quarantine_sql + "landing.rejected_records").fetchall()
        )
    with duckdb.connect() as connection:
        on_spark_rows = set(
            connection.execute(
                quarantine_sql + on_spark.relation_sql("landing.rejected_records")
            ).fetchall()
        )
    assert on_spark_rows == on_duckdb_rows
    outcomes = {
        (source, Path(file).name, number): (reason, field)
        for source, file, number, reason, field in on_spark_rows
    }
    assert outcomes.pop(("accelerometer", "accelerometer-mixed.json", 3)) == (
        "invalid_encoding",
        None,
    )
    # reason and field of every line, those with several faults included (SEVERAL_FAULTS)
    assert outcomes == {key: outcome for key, outcome in expected.items() if outcome != ACCEPTED}
    assert ("invalid_encoding", None) in outcomes.values()
    assert any(SEVERAL_FAULTS_FILE in file for _, file, _ in outcomes)


@pytest.mark.parametrize("target", STRICT_BUILD)
def test_the_pseudonym_key_never_reaches_spark_build_files(target, engine_builds, request):
    _, on_spark = engine_builds(STRICT_BUILD[target], "strict", target)
    folders = [on_spark.result.root / "target", on_spark.result.root / "logs"]
    if target == "spark_cluster":
        # and not the cluster's logs, metastore, warehouse or executors' folders either
        folders.append(request.getfixturevalue("spark_cluster").folder)
    written = [path for folder in folders for path in folder.rglob("*") if path.is_file()]
    assert written
    forms = ["ключ".encode(), b"not.a.setting", PSEUDONYM_KEY.encode().hex().encode()]
    leaked = [path for path in written if any(form in path.read_bytes() for form in forms)]
    assert not leaked


def test_a_missing_landing_folder_is_one_clear_line_on_spark(tmp_path, spark_cluster):
    # on the session's cluster, whose Thrift server is up (local Spark runs the same check)
    result = run_dbt(["build"], tmp_path, tmp_path / "no-such-landing", **spark_cluster.env())
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    assert (
        f"No landing files (*.json, *.json.gz) in '{tmp_path / 'no-such-landing'}/customer'"
        in result.stdout
    )
    assert "Exception" not in result.stderr  # Spark's own stack traces stay out of the way


def test_a_failed_audit_on_spark_publishes_nothing(engine_builds, spark_cluster, tmp_path):
    # on the session's cluster, after its strict build (local Spark runs the same macros
    # and would start a JVM of its own)
    _, on_spark = engine_builds(STRICT_BUILD["spark_cluster"], "strict", "spark_cluster")
    before = lake_files(on_spark.result.lake)
    assert before

    # the same project with a consent violation injected into a trusted model
    failed = build_with_injected_fault(
        tmp_path / "broken-project",
        tmp_path / "build",
        on_spark.result.landing,
        "models/intermediate/accelerometer_trusted.sql",
        "{{ taken_after_consent('accelerometer_landing.reading_ms', 'consenting_customers.research_consent_ms') }}",
        "true",
        STEDI_LAKE=str(on_spark.result.lake),
        STEDI_PSEUDONYM_KEY=PSEUDONYM_KEY,
        **spark_cluster.env(),
    )
    assert failed.returncode != 0
    assert "Failure in test no_data_without_consent" in failed.stdout
    assert "Not published: the build did not pass" in failed.stdout
    assert lake_files(on_spark.result.lake) == before


def test_a_worker_killed_during_a_cluster_build_changes_nothing_in_its_result(engine_builds):
    """Spark runs the lost executor's tasks again on the other worker: the build passes and
    every relation equals DuckDB's. `stedi.spark_cluster up` then restarts the worker."""
    on_duckdb, on_spark = engine_builds(*KILL_A_WORKER_IN, "spark_cluster")
    killed = on_spark.killed_worker
    assert killed, "the build ended before worker-2 could be killed"
    assert "OK created" in str(killed["after_line"])
    assert killed["alive_workers_after_build"] == 1  # it stayed dead for the rest of the build
    assert "Restarted worker-2" in str(killed["restart"])
    assert not psutil.pid_exists(int(str(killed["pid"])))
    assert "Published 6 verified tables" in on_spark.result.result.stdout
    # worker-2 had done part of the build before it died
    assert on_spark.tasks_by_worker and len(on_spark.tasks_by_worker) == 2
    assert all(count > 0 for count in on_spark.tasks_by_worker.values())
    mismatches, _ = compare_relations(on_duckdb, on_spark)
    assert not mismatches, "\n".join(mismatches)
