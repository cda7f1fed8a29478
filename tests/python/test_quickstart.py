"""The README's commands, run as a new user would."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request

import duckdb
from conftest import (
    BIN_DIR,
    PROJECT_DIR,
    assert_succeeded,
    build,
    copy_project_with_faults,
    dbt_command,
    dbt_environment,
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_make_run_generates_sample_data_builds_and_can_be_queried(tmp_path):
    landing = tmp_path / "landing"
    env = dict(os.environ)
    env.pop("STEDI_LANDING", None)
    env.update(
        SAMPLE_LANDING=str(landing),
        STEDI_LAKE=str(tmp_path / "lake"),
        STEDI_DUCKDB=str(tmp_path / "stedi.duckdb"),
        SAMPLE_CUSTOMERS="300",
        DBT_TARGET_PATH=str(tmp_path / "target"),
        DBT_LOG_PATH=str(tmp_path / "logs"),
    )
    run = subprocess.run(
        ["make", "run"], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=900
    )
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-3000:]
    assert f"Generated 300 sample customers into {landing}" in run.stderr
    assert sorted(p.name for p in landing.iterdir()) == [
        "accelerometer",
        "customer",
        "step_trainer",
    ]
    assert "curated.machine_learning_curated" in run.stdout  # the closing report

    shell = subprocess.run(
        [
            str(BIN_DIR / "duckdb"),
            str(tmp_path / "stedi.duckdb"),
            "-readonly",
            "-csv",
            "-noheader",
            "-c",
            "select count(*) from curated.machine_learning_curated",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shell.returncode == 0, shell.stderr
    assert int(shell.stdout.strip()) > 0

    # a second `make run` keeps the landing data it found
    files_before = sorted(landing.rglob("*.json"))
    again = subprocess.run(
        ["make", "run"], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=900
    )
    assert again.returncode == 0, again.stdout[-5000:] + again.stderr[-3000:]
    assert sorted(landing.rglob("*.json")) == files_before
    # the four dbt commands of both runs parse the project once: a changed var would re-parse
    assert (tmp_path / "logs" / "dbt.log").read_text().count("Unable to do partial parsing") == 1


def test_docs_generate_and_serve_on_loopback(tmp_path, generated_landing):
    env = dbt_environment(tmp_path, generated_landing)
    assert_succeeded(build(generated_landing, tmp_path))

    def dbt(*args: str) -> subprocess.CompletedProcess[str]:
        return dbt_command(list(args), env)

    # as `make docs` runs it: the docs describe the published relations
    generate = dbt("docs", "generate", "--vars", "{docs_show_published: true}")
    assert generate.returncode == 0, generate.stdout[-4000:]
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    catalog = json.loads((tmp_path / "target" / "catalog.json").read_text())
    for node, relation in [
        ("model.stedi.customer_trusted", '"trusted"."customer_trusted"'),
        ("model.stedi.machine_learning_curated", '"curated"."machine_learning_curated"'),
    ]:
        assert manifest["nodes"][node]["relation_name"].endswith(relation)
        assert catalog["nodes"][node]["columns"], node
    # the next build parses anew and writes to the audit schemas, never where consumers read
    rebuilt = dbt("build", "--select", "customer_trusted")
    assert rebuilt.returncode == 0, rebuilt.stdout[-4000:]
    assert "model trusted_audit.customer_trusted" in rebuilt.stdout
    assert "model trusted.customer_trusted" not in rebuilt.stdout
    refused = dbt("build", "--vars", "{docs_show_published: true}")
    assert refused.returncode != 0 and "docs_show_published is for" in refused.stdout

    port = free_port()
    server = subprocess.Popen(
        [
            str(BIN_DIR / "dbt"),
            "docs",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-browser",
        ],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        page = b""
        for _ in range(60):
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/index.html", timeout=2
                ) as reply:
                    page = reply.read()
                break
            except OSError:
                time.sleep(0.5)
        assert b"dbt" in page.lower()
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_make_run_never_fills_a_landing_folder_the_user_named(tmp_path):
    """A mistyped STEDI_LANDING, or an existing folder that is not a landing folder, is the
    build's one-line error: nothing is generated there, nothing is published."""
    other = tmp_path / "course-export"
    (other / "notes").mkdir(parents=True)
    for named in (tmp_path / "landnig", other):
        env = dict(os.environ)
        env.update(
            STEDI_LANDING=str(named),
            SAMPLE_LANDING=str(tmp_path / "samples"),
            STEDI_LAKE=str(tmp_path / "lake"),
            STEDI_DUCKDB=str(tmp_path / "stedi.duckdb"),
            DBT_TARGET_PATH=str(tmp_path / "target"),
            DBT_LOG_PATH=str(tmp_path / "logs"),
        )
        run = subprocess.run(
            ["make", "run"], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=900
        )
        assert run.returncode != 0
        assert f"No landing files (*.json, *.json.gz) in '{named}/customer'" in run.stdout
        assert "Traceback" not in run.stdout + run.stderr
        assert not list(named.rglob("*.json*")) and not (tmp_path / "samples").exists()
        assert not list((tmp_path / "lake").rglob("*.parquet"))


def test_defaults_are_the_projects_and_each_target_has_its_own(tmp_path, generated_landing):
    """dbt started from another folder writes nothing there; targets do not share files."""
    project = copy_project_with_faults(tmp_path / "project", [])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copytree(generated_landing, project / "data" / "landing")
    env = {
        name: value
        for name, value in os.environ.items()
        if name
        not in ("STEDI_LANDING", "STEDI_DUCKDB", "STEDI_LAKE", "STEDI_ML_DUCKDB", "DBT_TARGET_PATH")
    }
    env.update(
        DBT_PROFILES_DIR=str(project),
        STEDI_PSEUDONYM_KEY_FILE=str(tmp_path / "pseudonym.key"),
    )

    def dbt(*args: str) -> subprocess.CompletedProcess[str]:
        return dbt_command([*args, "--project-dir", str(project)], env, cwd=elsewhere)

    built = dbt("build")
    assert built.returncode == 0, built.stdout[-4000:]
    assert list(elsewhere.iterdir()) == []
    data = project / "data"
    assert (data / "stedi.duckdb").is_file() and (data / "ml.duckdb").is_file()
    assert (data / "lake" / "curated" / "machine_learning_curated").is_dir()
    with duckdb.connect(str(data / "stedi.duckdb"), read_only=True) as connection:
        landed = connection.execute("select count(*) from landing.customer_landing").fetchone()
    assert landed[0] > 0

    # the s3 target's local defaults are its own (its lake is normally an s3:// URI)
    env.update(STEDI_PSEUDONYM_KEY="key", AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x")
    located = dbt("run-operation", "stedi_locations", "--target", "s3")
    assert located.returncode == 0, located.stdout[-3000:]
    assert f"lake: {project}/data/s3/lake" in located.stdout
    assert f"data scientists' file: {project}/data/s3/ml.duckdb" in located.stdout
    assert (data / "s3" / "stedi.duckdb").exists() and list(elsewhere.iterdir()) == []


def test_source_freshness_reports_the_age_of_the_newest_landing_file(tmp_path, generated_landing):
    landing = tmp_path / "landing"
    shutil.copytree(generated_landing, landing)
    env = dbt_environment(tmp_path, landing)

    def freshness() -> dict[str, str]:
        ran = subprocess.run(
            [str(BIN_DIR / "dbt"), "source", "freshness"],
            cwd=PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert "Traceback" not in ran.stdout + ran.stderr
        results = json.loads((tmp_path / "target" / "sources.json").read_text())["results"]
        return {result["unique_id"].rsplit(".", 1)[1]: result["status"] for result in results}

    assert freshness() == {"customer": "pass", "accelerometer": "pass", "step_trainer": "pass"}
    # the phone feed stopped three days ago: a warning; the devices' ten days ago: an error
    for source, days in (("accelerometer", 3), ("step_trainer", 10)):
        old = time.time() - days * 86_400
        for path in (landing / source).iterdir():
            os.utime(path, (old, old))
    assert freshness() == {"customer": "pass", "accelerometer": "warn", "step_trainer": "error"}


def test_make_report_reads_the_database_of_its_target(tmp_path):
    env = {name: value for name, value in os.environ.items() if name != "STEDI_DUCKDB"}
    for target, database in (("local", "data/stedi.duckdb"), ("s3", "data/s3/stedi.duckdb")):
        reported = subprocess.run(
            [str(BIN_DIR / "python"), "-m", "stedi.report"],
            cwd=tmp_path,
            env={**env, "STEDI_TARGET": target},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert reported.returncode == 1
        assert f"No database at {database}" in reported.stderr
