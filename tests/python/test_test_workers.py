"""The test run's own set-up: `make test` spreads tests over pytest-xdist workers and keeps
every Spark test on one worker (xdist_group), so each Spark build and the cluster are made
once; conftest does the same for the tests that share a build fixture. An xdist that
ignores the groups (as pytest-xdist 3.8 does under pytest 9) would run them all again on
the other worker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

RECORD_WORKER = """
    with open("workers.txt", "a") as workers:
        workers.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
"""

GROUPED = (
    """
import os
import pytest

pytestmark = pytest.mark.xdist_group("spark")


@pytest.mark.parametrize("n", range(4))
def test_grouped(n):
"""
    + RECORD_WORKER
)

SHARING_BUILT = (
    """
import os


def test_shares_built(built):
"""
    + RECORD_WORKER
)


def workers_of(folder: Path, *options: str) -> list[str]:
    """The worker of each test that recorded one, in `make test`'s xdist mode."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup"]
        + ["-p", "no:cacheprovider", *options],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    return (folder / "workers.txt").read_text().split()


def test_grouped_tests_run_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "test_a.py").write_text(GROUPED)
    (tmp_path / "test_b.py").write_text(GROUPED)
    (tmp_path / "test_alone.py").write_text("def test_alone():\n    pass\n")
    workers = workers_of(tmp_path)
    assert len(workers) == 8 and len(set(workers)) == 1, workers


def test_tests_sharing_built_run_on_one_worker(tmp_path: Path) -> None:
    """conftest's shared builds are made once per worker: their tests go to one worker."""
    for name in "abcd":
        (tmp_path / f"test_{name}.py").write_text(SHARING_BUILT)
    for name in "efgh":
        (tmp_path / f"test_{name}.py").write_text("def test_alone():\n    pass\n")
    workers = workers_of(tmp_path, "-p", "conftest")
    assert len(workers) == 4 and len(set(workers)) == 1, workers
