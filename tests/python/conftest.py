"""Shared fixtures: real `dbt build` processes on throw-away lakehouses."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import psutil
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
BIN_DIR = Path(sys.executable).parent
COURSE_DATA = PROJECT_DIR.parent / "shared" / "stedi-data"
# What a build exposes: the landing views, and the verified tables it publishes.
LANDING_RELATIONS = [
    "landing.customer_landing",
    "landing.accelerometer_landing",
    "landing.step_trainer_landing",
    "landing.rejected_records",
]
PUBLISHED_RELATIONS = [
    "trusted.customer_trusted",
    "trusted.accelerometer_trusted",
    "trusted.step_trainer_trusted",
    "trusted.step_trainer_unattributed",
    "curated.customer_curated",
    "curated.machine_learning_curated",
]
COURSE_V2 = COURSE_DATA / "v2-2023-reduced" / "landing"
COURSE_V1 = COURSE_DATA / "v1-2022-original-partial" / "landing"


def require_course_data(landing: Path) -> Path:
    if not landing.is_dir():
        pytest.skip(
            f"course export not found at {landing} (it lives in ../shared, never in the repo)"
        )
    return landing


def published_relation(relation: str, policy: str) -> str:
    """trusted.x and curated.x of a policy other than strict are trusted_<policy>.x, ..."""
    zone, table = relation.split(".")
    if policy == "strict" or zone not in ("trusted", "curated"):
        return relation
    return f"{zone}_{policy}.{table}"


@dataclass
class Build:
    """One `dbt build` of the whole project into its own folder."""

    landing: Path | str
    root: Path
    policy: str
    result: subprocess.CompletedProcess[str]

    @property
    def database(self) -> Path:
        return self.root / "stedi.duckdb"

    @property
    def lake(self) -> Path:
        return self.root / "lake"

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.database), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    def published(self, relation: str) -> str:
        """Where the build's policy publishes `relation`, named as under strict."""
        return published_relation(relation, self.policy)

    def published_folder(self, zone: str, table: str) -> Path:
        return self.lake / ("" if self.policy == "strict" else self.policy) / zone / table

    def count(self, relation: str) -> int:
        return self.query(f"select count(*) from {self.published(relation)}")[0][0]

    def parquet_count(self, zone: str, table: str) -> int:
        files = sorted(self.published_folder(zone, table).glob("*.parquet"))
        assert files, f"no Parquet published for {zone}/{table}"
        with duckdb.connect() as connection:
            paths = [str(path) for path in files]
            return connection.execute("select count(*) from read_parquet(?)", [paths]).fetchone()[0]


def dbt_environment(root: Path, landing: Path | str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        STEDI_LANDING=str(landing),
        STEDI_LAKE=str(root / "lake"),
        STEDI_DUCKDB=str(root / "stedi.duckdb"),
        STEDI_ML_DUCKDB=str(root / "ml.duckdb"),
        DBT_PROFILES_DIR=str(PROJECT_DIR),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DBT_TARGET_PATH=str(root / "target"),
        DBT_LOG_PATH=str(root / "logs"),
        # a key generated for this lakehouse only, never the developer's own
        STEDI_PSEUDONYM_KEY_FILE=str(root / "pseudonym.key"),
        # tests that act mid-build (Ctrl-C, kill -9) must see each line as dbt prints it
        PYTHONUNBUFFERED="1",
    )
    # Spark (when a test asks for it) binds to loopback only
    env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    env.update(extra)
    return env


def render_jinja_block(relative_path: str, opening: str, closing: str, **context: object) -> str:
    """The body of one block of a project SQL file (a test or macro), rendered with `context`."""
    source = (PROJECT_DIR / relative_path).read_text()
    body = re.search(re.escape(opening) + r"(.*?)" + re.escape(closing), source, re.S)
    assert body, f"{opening} is no longer in {relative_path}"
    return jinja2.Template(body.group(1)).render(**context)


def lake_files(lake: Path) -> dict[str, str]:
    """Every file under a lake (the build lock aside) with the SHA-256 of its bytes."""
    return {
        str(path.relative_to(lake)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(lake.rglob("*"))
        if path.is_file() and path.name != ".build-lock"
    }


def copy_project_with_faults(project_copy: Path, faults: list[tuple[str, str, str]]) -> Path:
    """A copy of the project with each (file, text, replacement) applied once."""
    shutil.copytree(
        PROJECT_DIR,
        project_copy,
        ignore=shutil.ignore_patterns(".venv", ".git", "target", "logs", "data", "*.egg-info"),
    )
    for relative_path, text, replacement in faults:
        path = project_copy / relative_path
        assert path.read_text().count(text) == 1, f"{text!r} is not once in {relative_path}"
        path.write_text(path.read_text().replace(text, replacement))
    return project_copy


def build_with_injected_fault(
    project_copy: Path,
    root: Path,
    landing: Path,
    model: str,
    rule: str,
    replacement: str,
    **extra_env: str,
) -> subprocess.CompletedProcess[str]:
    """`dbt build` of a copy of the project with one rule of `model` broken."""
    copy_project_with_faults(project_copy, [(model, rule, replacement)])
    env = dbt_environment(root, landing, DBT_PROFILES_DIR=str(project_copy), **extra_env)
    # unit tests catch these faults before the model is built; leave them out so the
    # model is written and the zone's data tests must catch it
    return subprocess.run(
        [str(BIN_DIR / "dbt"), "build", "--exclude-resource-type", "unit_test"],
        cwd=project_copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


# This worker's last parse of the project for each target and vars (set per session).
PARSE_CACHE: Path | None = None


@pytest.fixture(scope="session", autouse=True)
def parse_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    global PARSE_CACHE
    PARSE_CACHE = tmp_path_factory.mktemp("dbt-parse")


def _parse_files(args: list[str], env: dict[str, str]) -> tuple[Path, Path | None]:
    """Where dbt saves its parse for this command, and this worker's copy for its target/vars."""
    saved = Path(env.get("DBT_TARGET_PATH", "target")) / "partial_parse.msgpack"
    if PARSE_CACHE is None:
        return saved, None
    given_vars = args[args.index("--vars") + 1] if "--vars" in args else ""
    key = f"{env.get('STEDI_TARGET', 'local')}|{given_vars}"
    return saved, PARSE_CACHE / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.msgpack"


def in_root(args: list[str], env: dict[str, str]) -> tuple[list[str], dict[str, str], Path]:
    """The arguments, environment and folder of a dbt command on the project, to run it from
    the folder of its database.

    dbt parses the whole project again (5 s) whenever the profile's connection values change,
    and every test's database path does. Run from that folder with `--project-dir` and the
    relative path ./stedi.duckdb, every test has one profile; target/ is seeded with this
    worker's parse for the same target and vars, and dbt re-parses only the files whose
    env_var() values differ (it checks all of that itself)."""
    database = Path(env.get("STEDI_DUCKDB", ""))
    if env.get("STEDI_TARGET", "local").startswith("spark") or not database.is_absolute():
        return args, env, PROJECT_DIR
    database.parent.mkdir(parents=True, exist_ok=True)
    args = [*args, "--project-dir", str(PROJECT_DIR)]
    env = dict(env, STEDI_DUCKDB=f"./{database.name}")
    saved, cached = _parse_files(args, env)
    if cached and cached.exists() and not saved.exists():
        saved.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cached, saved)
    return args, env, database.parent


def keep_parse(args: list[str], env: dict[str, str]) -> None:
    """Keeps the parse of a command in_root() prepared, for the worker's next folders."""
    saved, cached = _parse_files(args, env)
    if cached and saved.exists() and not cached.exists():
        shutil.copyfile(saved, cached)


def dbt_command(
    args: list[str], env: dict[str, str], cwd: Path = PROJECT_DIR
) -> subprocess.CompletedProcess[str]:
    """One dbt command as a user types it, its output captured."""
    from_project = cwd == PROJECT_DIR
    if from_project:
        args, env, cwd = in_root(args, env)
    result = subprocess.run(
        [str(BIN_DIR / "dbt"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    if from_project and cwd != PROJECT_DIR:
        keep_parse(args, env)
    return result


def policy_vars(policy: str) -> list[str]:
    """The --vars of a build under `policy`, as `make run` passes them."""
    return ["--vars", f"{{consent_policy: {policy}}}"]


def run_dbt(
    args: list[str], root: Path, landing: Path | str, policy: str = "strict", **extra_env: str
) -> subprocess.CompletedProcess[str]:
    root.mkdir(parents=True, exist_ok=True)
    return dbt_command([*args, *policy_vars(policy)], dbt_environment(root, landing, **extra_env))


def erase_on_duckdb(email: str, landing: Path, root: Path, key: str) -> None:
    """The request `make erase` writes for `email`, carried out as `make run` does
    (`dbt run-operation erase_customers`, DuckDB): the landing files rewritten, the log written."""
    from stedi.erasure import write_request

    write_request(email, str(landing))
    carried_out = run_dbt(
        ["run-operation", "erase_customers"], root, landing, STEDI_PSEUDONYM_KEY=key
    )
    assert "1 request(s) carried out" in carried_out.stdout, carried_out.stdout[-3000:]


def build(landing: Path | str, root: Path, policy: str = "strict", **extra_env: str) -> Build:
    result = run_dbt(["build"], root, landing, policy, **extra_env)
    return Build(landing=landing, root=root, policy=policy, result=result)


def build_watching(
    landing: Path | str,
    root: Path,
    policy: str,
    on_line: Callable[[list[str]], None],
    **extra_env: str,
) -> Build:
    """`build`, calling on_line(lines so far) after each line dbt prints (to act mid-build)."""
    root.mkdir(parents=True, exist_ok=True)
    args, env, cwd = in_root(
        ["build", *policy_vars(policy)], dbt_environment(root, landing, **extra_env)
    )
    command = [str(BIN_DIR / "dbt"), *args]
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line)
        on_line(lines)
    process.wait(timeout=900)
    result = subprocess.CompletedProcess(command, process.returncode, "".join(lines), "")
    return Build(landing=landing, root=root, policy=policy, result=result)


def assert_succeeded(completed: Build | subprocess.CompletedProcess[str]) -> None:
    result = completed.result if isinstance(completed, Build) else completed
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory):
    """build(name, landing, policy): each combination is built once per session and shared."""
    builds: dict[tuple[str, str], Build] = {}

    def built_once(name: str, landing: Path, policy: str = "strict") -> Build:
        if (name, policy) not in builds:
            root = tmp_path_factory.mktemp(f"{name}-{policy}")
            builds[(name, policy)] = build(landing, root, policy)
        result = builds[(name, policy)]
        assert_succeeded(result)
        return result

    return built_once


# Fixtures that build once per worker (session or module scope) and serve several tests.
SHARED_BUILDS = ("built", "bad_build", "failed_build")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under `--dist loadgroup` the tests that share one of SHARED_BUILDS run on one worker,
    so each of its builds is made once in the whole run, not once per worker."""
    for item in items:
        shared = [name for name in SHARED_BUILDS if name in getattr(item, "fixturenames", ())]
        if shared and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(shared[0]))


@pytest.fixture(scope="session")
def generated_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from stedi.generate import generate

    landing = tmp_path_factory.mktemp("generated") / "landing"
    generate(landing, customers=400, seed=7, rows_per_file=5_000, workers=1)
    return landing


class SparkCluster:
    """The standalone cluster `stedi.spark_cluster up` started for this test session."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def command(self, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        """`python -m stedi.spark_cluster ARGS` on this session's cluster folder."""
        env = dict(os.environ, STEDI_SPARK_CLUSTER_DIR=str(self.folder), **extra_env)
        env.pop("STEDI_SPARK_PORT", None)
        return subprocess.run(
            [sys.executable, "-m", "stedi.spark_cluster", *args],
            cwd=PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    @property
    def state(self) -> dict[str, Any]:
        return json.loads((self.folder / "state.json").read_text())

    def env(self) -> dict[str, str]:
        """What a build on this cluster needs besides dbt_environment()."""
        return {
            "STEDI_TARGET": "spark_cluster",
            "STEDI_SPARK_HOST": self.state["thrift_host"],
            "STEDI_SPARK_PORT": str(self.state["thrift_port"]),
        }

    def pids(self, prefix: str = "") -> list[int]:
        return [p["pid"] for p in self.state["processes"] if p["name"].startswith(prefix)]

    def master_status(self) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.state['master_webui']}/json/"
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.load(response)

    def alive_workers(self) -> dict[str, str]:
        """Web UI address -> worker id, of every worker the master lists as ALIVE."""
        return {
            worker["webuiaddress"]: worker["id"]
            for worker in self.master_status()["workers"]
            if worker["state"] == "ALIVE"
        }

    def _api(self, path: str) -> Any:
        url = f"http://127.0.0.1:{self.state['driver_ui']}/api/v1/applications{path}"
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.load(response)

    def completed_tasks_by_worker(self) -> Counter[str]:
        """Tasks the Thrift server's executors completed, by the web UI address of the worker
        that ran the executor (from the application's REST API on the driver's UI port)."""
        [application] = self._api("")
        tasks: Counter[str] = Counter()
        for executor in self._api(f"/{application['id']}/allexecutors"):
            if executor["id"] == "driver":
                continue
            log_page = urllib.parse.urlsplit(executor["executorLogs"]["stderr"])
            tasks[f"{log_page.scheme}://{log_page.netloc}"] += executor["completedTasks"]
        return tasks

    def sql(self, statements: list[str]) -> list[tuple[Any, ...]]:
        """Runs the statements in one Thrift session; the last one's rows."""
        from pyhive import hive

        connection = hive.connect(
            host=self.state["thrift_host"], port=self.state["thrift_port"], username="stedi"
        )
        try:
            cursor = connection.cursor()
            for statement in statements:
                cursor.execute(statement)
            return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def export_relations(self, relations: list[str], out: Path) -> None:
        """Each relation's rows as Parquet in out/<relation>/, written by the cluster."""
        self.sql(
            [
                f"insert overwrite directory '{out / relation}' using parquet"
                f" select * from {relation}"
                for relation in relations
            ]
        )


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory: pytest.TempPathFactory):
    """One cluster (master, two workers, Thrift server) per test session, started and
    stopped with the project's own `python -m stedi.spark_cluster`; small workers."""
    pytest.importorskip(
        "pyspark",
        reason="pyspark is not installed: `make setup-spark` installs requirements-spark.txt",
    )
    cluster = SparkCluster(tmp_path_factory.mktemp("spark-cluster"))
    started = cluster.command("up", STEDI_SPARK_WORKER_MEMORY="1g", STEDI_SPARK_WORKERS="2")
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        yield cluster
    finally:
        pids = cluster.pids()
        stopped = cluster.command("down")
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        # exactly the processes it started, and nothing of them left
        assert all(f"(pid {pid})" in stopped.stdout for pid in pids), stopped.stdout
        assert not [pid for pid in pids if psutil.pid_exists(pid)]
        assert not (cluster.folder / "state.json").exists()
