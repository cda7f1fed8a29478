"""The settings of a dbt output in profiles.yml, rendered as dbt renders them.

Python that needs a build's settings (where its database or Spark catalog is) reads them
from the profile, so profiles.yml stays the one place they are written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[1]


def output(name: str, environment: dict[str, str] | None = None) -> dict[str, Any]:
    """The output `name` of the `stedi` profile, every text rendered with `env_var()`."""
    import jinja2
    import yaml

    profile = yaml.safe_load((PROJECT_DIR / "profiles.yml").read_text())
    variables = dict(os.environ if environment is None else environment)

    def env_var(variable: str, default: str | None = None) -> str:
        value = variables.get(variable, default)
        if value is None:
            raise KeyError(f"profiles.yml needs the environment variable {variable}")
        return value

    renderer = jinja2.Environment()

    def rendered(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: rendered(item) for key, item in value.items()}
        if isinstance(value, list):
            return [rendered(item) for item in value]
        if isinstance(value, str):
            return renderer.from_string(value).render(env_var=env_var)
        return value

    return rendered(profile["stedi"]["outputs"][name])
