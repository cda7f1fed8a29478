"""sqlfluff (dbt templater) and ruff must be clean."""

from __future__ import annotations

import subprocess

from conftest import BIN_DIR, PROJECT_DIR, dbt_environment


def test_sqlfluff_lint_is_clean(tmp_path, generated_landing):
    result = subprocess.run(
        [str(BIN_DIR / "sqlfluff"), "lint", "models", "tests/dbt"],
        cwd=PROJECT_DIR,
        env=dbt_environment(tmp_path, generated_landing),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_ruff_is_clean():
    for command in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [str(BIN_DIR / "ruff"), *command, "stedi", "bench", "tests/python"],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr
