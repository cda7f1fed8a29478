"""sqlfluff (dbt templater) and ruff must be clean."""

from __future__ import annotations

import json
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


def test_every_landing_macro_is_documented_with_its_engine_variants(tmp_path):
    """macros/landing/_landing_macros.yml: a description for each macro, and each macro's
    `engine_variants` are exactly its adapter.dispatch implementations."""
    result = subprocess.run(
        [str(BIN_DIR / "dbt"), "parse"],
        cwd=PROJECT_DIR,
        env=dbt_environment(tmp_path, tmp_path / "landing"),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert "MacroNotFoundForPatch" not in result.stdout
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    landing = {
        macro["name"]: macro
        for macro in manifest["macros"].values()
        if macro["package_name"] == "stedi"
        and macro["original_file_path"].startswith("macros/landing/")
    }
    assert "check_landing_lines" in landing
    assert [name for name, macro in landing.items() if not macro["description"].strip()] == []
    for name, macro in landing.items():
        if "__" in name:
            continue
        implemented = {
            other.split("__", 1)[0] for other in landing if other.split("__", 1)[-1] == name
        } - {name}
        assert set(macro["meta"].get("engine_variants", [])) == implemented, name
