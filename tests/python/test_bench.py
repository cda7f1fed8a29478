"""Smoke test of the benchmark harness at its smallest size (the real runs are `make bench`)."""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import BIN_DIR, PROJECT_DIR


def test_bench_measures_floor_build_run_anchor_and_incremental_build(tmp_path):
    out = tmp_path / "results"
    result = subprocess.run(
        [
            str(BIN_DIR / "python"),
            "bench/run.py",
            "--sizes",
            "200",
            "--spark-max",
            "0",
            "--spark-cluster-max",
            "0",
            "--out",
            str(out),
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    measured = json.loads((out / "results.json").read_text())
    [size] = measured["results"]
    assert size["customers"] == 200 and size["landing_rows"] > 200 * 100
    for step in ("floor", "duckdb", "duckdb_run"):
        assert size[step]["returncode"] == 0
        assert size[step]["wall_s"] > 0 and size[step]["peak_rss_mb"] > 0
    assert "accelerometer_landing_checked" in " ".join(size["duckdb"]["nodes_s"])
    assert size["duckdb"]["nodes_s"]["all tests"] > 0 and size["duckdb"]["parse_s"] > 0
    each_test = size["duckdb"]["data_tests_s"]
    assert "every_line_accounted_for" in each_test and "no_data_without_consent" in each_test
    assert sum(each_test.values()) == pytest.approx(size["duckdb"]["nodes_s"]["all tests"], abs=0.1)
    assert isinstance(size["duckdb"]["nodes_at_peak"], list)
    assert (out / "chart.png").read_bytes()[:4] == b"\x89PNG"
    assert "| 200 |" in (out / "results.md").read_text()

    # the anchor (bench/anchor.sql) applies the same strict rules as the build: the same
    # number of rows in every trusted and curated table it writes
    anchor, built = size["anchor"], size["duckdb"]["relations"]
    assert anchor["returncode"] == 0 and anchor["wall_s"] > 0
    assert set(anchor["rows"]) == {
        "trusted.customer_trusted", "trusted.accelerometer_trusted",
        "trusted.step_trainer_trusted", "curated.customer_curated",
        "curated.machine_learning_curated",
    }  # fmt: skip
    assert {name: built[name]["rows"] for name in anchor["rows"]} == anchor["rows"]
    assert all(rows > 0 for rows in anchor["rows"].values())

    # builds with nothing new change nothing: the second (no spare yet), and the third
    assert size["second_build"]["returncode"] == 0 and size["second_build"]["wall_s"] > 0
    assert size["unchanged"]["returncode"] == 0 and size["unchanged"]["relations"] == built

    # the incremental build: new files (1 % of the readings, 2 re-exported customers), then
    # a second build, identical to a full refresh on the same landing data
    increment, incremental = size["increment"], size["incremental"]
    assert increment["rows"]["customer"] == 2 and sum(increment["consent_changes"].values()) == 2
    new_readings = increment["rows"]["accelerometer"] + increment["rows"]["step_trainer"]
    assert abs(new_readings - 0.01 * (size["landing_rows"] - 200)) <= 7
    assert incremental["returncode"] == 0 and incremental["wall_s"] > 0
    assert size["full_refresh"]["returncode"] == 0
    assert incremental["identical_to_full_refresh"] is True
    assert incremental["relations"] == size["full_refresh"]["relations"]
    assert set(incremental["relations"]) == set(built)
    # the new readings passed the consent rules: the trusted zone grew
    assert (
        incremental["relations"]["trusted.accelerometer_trusted"]["rows"]
        > built["trusted.accelerometer_trusted"]["rows"]
    )

    # what a layout split by key would rewrite: the keys the increment changed, and a share
    # of rows that does not grow with the number of files (a file of 4,096 is part of one of 256)
    shares = size["rewrite_shares"]
    assert set(shares) == {
        "trusted.accelerometer_trusted", "trusted.step_trainer_trusted",
        "curated.machine_learning_curated",
    }  # fmt: skip
    for share in shares.values():
        assert 1 <= share["changed_keys"] <= share["keys"] + increment["rows"]["customer"]
        rewritten = [share["rows_rewritten"][files] for files in ("16", "256", "4096")]
        assert 1 >= rewritten[0] >= rewritten[1] >= rewritten[2] > 0
    assert "rows rewritten" in (out / "results.md").read_text()
