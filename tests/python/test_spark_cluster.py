"""The standalone Spark cluster (`make spark-cluster-up`) and the `spark_cluster` target's
faults: a second `up`, loopback only, a worker killed during a build, no Thrift server, a
lake the executors cannot write. The parity of its results with DuckDB is proven in
test_spark_parity.py (target `spark_cluster`), on the same session cluster (conftest)."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import psutil
import pytest
from conftest import (
    BIN_DIR,
    PROJECT_DIR,
    SparkCluster,
    dbt_environment,
    run_dbt,
)
from test_spark_parity import PSEUDONYM_KEY

from stedi import spark_jars
from stedi.spark_cluster import ephemeral_ports, free_ports

# one test worker runs every Spark test: they share the session's Spark builds and cluster
pytestmark = pytest.mark.xdist_group("spark")

pytest.importorskip(
    "pyspark",
    reason="pyspark is not installed: `make setup-spark` installs requirements-spark.txt",
)


def test_the_cluster_runs_on_loopback_in_separate_processes(spark_cluster: SparkCluster):
    state = spark_cluster.state
    names = [process["name"] for process in state["processes"]]
    # (in any order: a worker the parity tests killed is restarted, and listed last)
    assert sorted(names) == ["master", "thrift-server", "worker-1", "worker-2"]
    processes = [psutil.Process(pid) for pid in spark_cluster.pids()]
    assert all(process.name() == "java" for process in processes)
    assert len({process.pid for process in processes}) == 4
    # every port any of them (or the executors the workers started) listens on is loopback
    family = [*processes, *(child for p in processes for child in p.children(recursive=True))]
    listening = [
        connection.laddr
        for process in family
        for connection in process.net_connections(kind="inet")
        if connection.status == psutil.CONN_LISTEN
    ]
    loopback = {"127.0.0.1", "::ffff:127.0.0.1"}
    assert listening and all(address.ip in loopback for address in listening), listening
    assert 6066 not in {address.port for address in listening}  # no REST server on its default
    assert state["thrift_port"] in {address.port for address in listening}
    # the ports `up` chose: none from the range outgoing connections draw from
    chosen = [
        int(state["master_url"].rpartition(":")[2]),
        state["master_webui"],
        state["driver_ui"],
        state["thrift_port"],
        *state["worker_webuis"],
    ]
    assert len(set(chosen)) == len(chosen) and not set(chosen) & set(ephemeral_ports()), chosen
    status = spark_cluster.master_status()
    assert status["aliveworkers"] == 2
    assert [worker["cores"] for worker in status["workers"]] == [1, 1]
    assert [worker["memory"] for worker in status["workers"]] == [1024, 1024]
    [application] = status["activeapps"]
    assert application["name"] == "STEDI Thrift server"
    # its Derby metastore and warehouse are in the cluster's folder
    assert (spark_cluster.folder / "metastore").is_dir()
    assert (spark_cluster.folder / "warehouse").is_dir()


def test_the_cluster_can_load_hives_function_registry(spark_cluster: SparkCluster):
    """pyspark 4 lacks hive-llap-common, which Hive's function registry loads: without it the
    Thrift server now and then failed to close a session, and the build with it. The jar
    setup added (stedi/spark_jars.py) lets the registry initialize on the cluster."""
    registry = "org.apache.hadoop.hive.ql.exec.FunctionRegistry"
    [(loaded,)] = spark_cluster.sql([f"select reflect('java.lang.Class', 'forName', '{registry}')"])
    assert loaded == f"class {registry}"


def test_only_the_pinned_jar_counts_as_installed(tmp_path):
    assert not spark_jars.installed(tmp_path)
    (tmp_path / spark_jars.JAR).write_bytes(b"not the jar")
    assert not spark_jars.installed(tmp_path)
    shutil.copy(spark_jars.jars_folder() / spark_jars.JAR, tmp_path)
    assert spark_jars.installed(tmp_path)


def test_a_second_up_says_the_cluster_is_running_and_starts_nothing(
    spark_cluster: SparkCluster,
):
    before = spark_cluster.pids()
    again = spark_cluster.command("up")
    assert again.returncode == 0, again.stderr
    assert "already running" in again.stdout
    assert str(spark_cluster.state["thrift_port"]) in again.stdout
    assert spark_cluster.pids() == before
    assert spark_cluster.master_status()["aliveworkers"] == 2


@pytest.mark.parametrize(
    ("setting", "value", "must_be"),
    [
        ("STEDI_SPARK_PORT", "abc", "a whole number from 1 to 65535"),
        ("STEDI_SPARK_PORT", "70000", "a whole number from 1 to 65535"),
        ("STEDI_SPARK_WORKERS", "two", "a whole number above 0"),
        ("STEDI_SPARK_WORKER_CORES", "0", "a whole number above 0"),
        ("STEDI_SPARK_STARTUP_TIMEOUT", "soon", "a number above 0"),
    ],
)
def test_a_setting_that_is_not_a_number_is_one_clear_line(setting, value, must_be, tmp_path):
    folder = tmp_path / "cluster"
    result = subprocess.run(
        [str(BIN_DIR / "python"), "-m", "stedi.spark_cluster", "up"],
        cwd=PROJECT_DIR,
        env=dbt_environment(
            tmp_path, tmp_path, STEDI_SPARK_CLUSTER_DIR=str(folder), **{setting: value}
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"spark-cluster up: {setting}={value!r}: it must be {must_be}."
    ]
    assert not (folder / "state.json").exists()


def test_the_ports_up_chooses_leave_out_the_thrift_port_asked_for():
    asked = set(range(10_000, 65_536, 2))  # every even port, as if each had been asked for
    chosen = free_ports(20, besides=asked)
    assert len(set(chosen)) == 20
    assert not set(chosen) & asked and not set(chosen) & set(ephemeral_ports())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_no_thrift_server_is_one_clear_line(tmp_path):
    port = free_port()  # nothing listens there
    env = dbt_environment(tmp_path, tmp_path / "landing")
    env.update(STEDI_TARGET="spark_cluster", STEDI_SPARK_PORT=str(port), TARGET="spark_cluster")
    through_make = subprocess.run(
        ["make", "--no-print-directory", "run"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert through_make.returncode != 0
    assert through_make.stderr.splitlines()[0] == (
        f"spark-cluster check: No Spark Thrift server answers on 127.0.0.1:{port}"
        " (STEDI_SPARK_HOST, STEDI_SPARK_PORT): start one with `make spark-cluster-up`."
    )
    # dbt build itself: dbt-spark's own error, which names the host and port, no traceback
    direct = subprocess.run(
        [str(BIN_DIR / "dbt"), "build"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert direct.returncode != 0
    output = direct.stdout + direct.stderr
    assert "Traceback" not in output
    assert (
        f"failed to connect: TTransportException: Could not connect to any of [('127.0.0.1', {port})]"
        in output
    )


def test_a_lake_the_executors_cannot_write_fails_and_publishes_nothing(
    spark_cluster: SparkCluster, generated_landing: Path, tmp_path: Path
):
    # a lake under a regular file: no process can create a folder there (not even as root)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the lake's parent folder should be\n")
    lake = blocker / "lake"
    # a whole build: only a whole build publishes
    result = run_dbt(
        ["build"],
        tmp_path / "build",
        generated_landing,
        STEDI_LAKE=str(lake),
        STEDI_PSEUDONYM_KEY=PSEUDONYM_KEY,
        **spark_cluster.env(),
    )
    output = result.stdout
    assert result.returncode != 0
    assert "Traceback" not in output + result.stderr
    # it got as far as publishing
    assert "OK created sql table model trusted_audit.customer_trusted" in output
    # the first line of the error says why and where (the Thrift server's Java stack trace
    # follows it: dbt-spark prints the server's whole error text)
    assert f"ParentNotDirectoryException: Parent path is not a directory: file:{blocker}" in output
    assert "Published" not in output
    assert not lake.exists()
    assert blocker.read_text() == "a file where the lake's parent folder should be\n"
