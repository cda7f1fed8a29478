"""Smoke test of the benchmark harness at its smallest size (the real runs are `make bench`)."""

from __future__ import annotations

import json
import subprocess

from conftest import BIN_DIR, PROJECT_DIR


def test_bench_measures_floor_build_and_run_and_draws_the_chart(tmp_path):
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
    assert isinstance(size["duckdb"]["nodes_at_peak"], list)
    assert (out / "chart.png").read_bytes()[:4] == b"\x89PNG"
    assert "| 200 |" in (out / "results.md").read_text()
