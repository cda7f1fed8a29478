"""Install DuckDB's httpfs extension from its PyPI wheel into a project-local folder.

`INSTALL httpfs` would download it; the `duckdb-extension-httpfs` package ships the
file, so `FORCE INSTALL '<file>'` works offline. The folder is the one profiles.yml
points DuckDB at (`STEDI_DUCKDB_EXTENSIONS`, default `.venv/duckdb_extensions`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import duckdb


def extension_directory() -> Path:
    """STEDI_DUCKDB_EXTENSIONS, else duckdb_extensions in the Python environment (.venv)."""
    configured = os.environ.get("STEDI_DUCKDB_EXTENSIONS")
    return Path(configured).resolve() if configured else Path(sys.prefix) / "duckdb_extensions"


def httpfs_wheel_file() -> Path:
    import duckdb_extension_httpfs

    package = Path(duckdb_extension_httpfs.__file__).parent
    version = duckdb.__version__
    candidate = package / "extensions" / f"v{version}" / "httpfs.duckdb_extension"
    if not candidate.exists():
        raise SystemExit(
            f"duckdb-extension-httpfs has no extension for DuckDB {version}"
            f" (looked for {candidate}): pin both to one version in requirements.txt"
        )
    return candidate


def install_httpfs(directory: Path | None = None) -> Path:
    directory = directory or extension_directory()
    directory.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(config={"extension_directory": str(directory)})
    # INSTALL takes no parameters: quote the path as a SQL string literal
    path_literal = "'" + str(httpfs_wheel_file()).replace("'", "''") + "'"
    connection.execute(f"force install {path_literal}")
    connection.execute("load httpfs")
    return directory


if __name__ == "__main__":
    print(f"httpfs installed in {install_httpfs()}", file=sys.stderr)
