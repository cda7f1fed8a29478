"""dbt-duckdb plugin: what the models need from Python on every DuckDB connection.

- The pseudonymisation key is handed to DuckDB as a session variable, so it never
  appears in compiled SQL, dbt logs or `target/`.
- `stedi_ensure_folder(path)` creates a local folder (DuckDB's COPY does not create
  parent folders); for object-store URIs it does nothing.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

PSEUDONYM_KEY_ENV = "STEDI_PSEUDONYM_KEY"
# Development default only: the README and a warning say to set a real secret.
DEVELOPMENT_PSEUDONYM_KEY = "stedi-development-key-do-not-use-in-production"


def pseudonym_key() -> str:
    key = os.environ.get(PSEUDONYM_KEY_ENV, "")
    if not key:
        warnings.warn(
            f"{PSEUDONYM_KEY_ENV} is not set: subject_id uses the public development key. "
            "Set a secret key before sharing machine_learning_curated.",
            stacklevel=2,
        )
        return DEVELOPMENT_PSEUDONYM_KEY
    return key


def ensure_folder(path: str) -> str:
    if "://" not in path:
        Path(path).mkdir(parents=True, exist_ok=True)
    return path


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict) -> None:
        self._key = pseudonym_key()

    def _configure(self, conn: DuckDBPyConnection) -> None:
        conn.execute("set variable stedi_pseudonym_key = ?", [self._key])
        try:
            conn.create_function(
                "stedi_ensure_folder", ensure_folder, ["VARCHAR"], "VARCHAR", side_effects=True
            )
        except Exception as error:  # already registered on this connection
            if "already exists" not in str(error):
                raise

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        self._configure(conn)

    def configure_cursor(self, cursor: DuckDBPyConnection) -> None:
        self._configure(cursor)
