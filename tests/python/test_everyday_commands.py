"""Everyday commands never publish a mixed set: after each, every published table (the
DuckDB relations and the Parquet files, read from outside dbt) comes from one build."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import duckdb
from conftest import (
    BIN_DIR,
    PROJECT_DIR,
    PUBLISHED_RELATIONS,
    assert_succeeded,
    build,
    dbt_command,
    dbt_environment,
)
from test_publishing import published_state


def published_builds(root: Path) -> set[str]:
    """The build ids recorded on every published relation and Parquet file."""
    ids = set()
    with duckdb.connect(str(root / "stedi.duckdb"), read_only=True) as connection:
        for relation in PUBLISHED_RELATIONS:
            zone, table = relation.split(".")
            [(comment,)] = connection.execute(
                "select comment from duckdb_views() where schema_name = ? and view_name = ?",
                [zone, table],
            ).fetchall()
            ids.add(json.loads(comment)["stedi_build_id"])
            [parquet] = (root / "lake" / zone / table).glob("*.parquet")
            metadata = dict(
                connection.execute(
                    "select decode(key), decode(value) from parquet_kv_metadata(?)", [str(parquet)]
                ).fetchall()
            )
            ids.add(metadata["stedi_build_id"])
    return ids


def test_only_a_whole_passing_build_publishes(generated_landing, tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(generated_landing, landing)
    root = tmp_path / "lakehouse"
    env = dbt_environment(root, landing)

    def dbt(*args: str) -> subprocess.CompletedProcess[str]:
        return dbt_command(list(args), env)

    first = dbt("build")
    assert first.returncode == 0, first.stdout[-4000:]
    [published] = published_builds(root)

    # new landing data arrives: each partial command leaves the published set alone
    new_file = landing / "accelerometer" / "accelerometer-late.json"
    shutil.copy(next((landing / "accelerometer").glob("*.json")), new_file)
    for args, said in [
        (["run"], "Not published: `dbt run` does not build and test the whole project"),
        (
            ["build", "--select", "machine_learning_curated"],
            "Not published: this invocation did not build and test",
        ),
    ]:
        result = dbt(*args)
        assert result.returncode == 0, result.stdout[-4000:]
        assert said in result.stdout, result.stdout[-3000:]
        assert published_builds(root) == {published}

    # a build that fails at a landing model, then the file is fixed and `dbt retry` runs
    broken = landing / "step_trainer" / "broken.json.gz"
    broken.write_text("this is not gzip\n")
    failed = dbt("build")
    assert failed.returncode != 0
    assert "Not published: the build did not pass" in failed.stdout
    broken.unlink()
    retried = dbt("retry")
    assert retried.returncode == 0, retried.stdout[-4000:]
    # retry re-runs the failed and skipped nodes only
    assert "Not published: this invocation did not build and test" in retried.stdout
    assert published_builds(root) == {published}

    # a whole build publishes the new data, every table from it
    rebuilt = dbt("build")
    assert rebuilt.returncode == 0, rebuilt.stdout[-4000:]
    [republished] = published_builds(root)
    assert republished != published

    # Ctrl-C while the trusted zone is being written: nothing changes
    interrupted = subprocess.Popen(
        [str(BIN_DIR / "dbt"), "build"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # as in a terminal: a test worker (pytest-xdist) or a background job ignores SIGINT,
        # and a child would inherit that and never see the Ctrl-C
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert interrupted.stdout is not None
    deadline = time.monotonic() + 300
    for line in interrupted.stdout:
        if "START sql table model trusted_audit." in line or time.monotonic() > deadline:
            break
    interrupted.send_signal(signal.SIGINT)
    output, _ = interrupted.communicate(timeout=300)
    assert interrupted.returncode != 0, output[-3000:]
    assert "Published" not in output
    assert published_builds(root) == {republished}


def test_a_shell_holding_the_database_is_one_line_naming_it(generated_landing, tmp_path):
    root = tmp_path / "lakehouse"
    env = dbt_environment(root, generated_landing)
    command = [str(BIN_DIR / "dbt"), "build"]
    first = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stdout[-4000:]
    [published] = published_builds(root)

    # the real duckdb shell, read-only, left open as a user leaves it
    shell = subprocess.Popen(
        [str(BIN_DIR / "duckdb"), "-readonly", str(root / "stedi.duckdb")],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(2)
        blocked = subprocess.run(
            command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600
        )
    finally:
        shell.terminate()
        shell.wait(timeout=30)
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0
    # the wrapper script on PATH starts the shell binary, which holds the file
    assert re.search(r"stedi\.duckdb is open in another process \(\S*duckdb, pid \d+\)", output), (
        output[-3000:]
    )
    assert "Traceback" not in output and "START sql" not in output
    assert published_builds(root) == {published}


def test_a_rubric_build_leaves_the_strict_tables_alone(generated_landing, tmp_path):
    strict = build(generated_landing, tmp_path)
    assert_succeeded(strict)
    before = published_state(strict)
    rubric = build(generated_landing, tmp_path, "rubric")
    assert_succeeded(rubric)
    after = published_state(strict)
    rubric_files = {name for name in after["files"] if name.startswith("rubric/")}
    assert len(rubric_files) == len(PUBLISHED_RELATIONS)
    assert {name: after["files"][name] for name in after["files"] if name not in rubric_files} == (
        before["files"]
    )
    assert after["tables"] == before["tables"]
    # the rubric tables are its own, and say which policy built them
    with duckdb.connect(str(rubric.database), read_only=True) as connection:
        for relation in PUBLISHED_RELATIONS:
            [(comment,)] = connection.execute(
                "select comment from duckdb_views() where schema_name || '.' || view_name = ?",
                [rubric.published(relation)],
            ).fetchall()
            assert json.loads(comment)["stedi_consent_policy"] == "rubric"
    assert rubric.count("trusted.accelerometer_trusted") > strict.count(
        "trusted.accelerometer_trusted"
    )
    for relation in PUBLISHED_RELATIONS:
        assert rubric.parquet_count(*relation.split(".")) == rubric.count(relation)
