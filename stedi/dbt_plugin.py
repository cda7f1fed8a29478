"""dbt-duckdb plugin: what the models need from Python on every DuckDB connection.

- One build at a time: before DuckDB opens the database, the plugin takes exclusive
  locks next to the database file and in the local lake, so a second build fails at
  once with a one-line message instead of DuckDB's lock error and a stack trace.
- The pseudonymisation key (stedi/keys.py: configured, or generated once into a local
  file) is handed to DuckDB as a session variable, so it never appears in compiled SQL,
  dbt logs or `target/`. The `s3` target requires a configured key.
- `stedi_prepare_file(path)` and `stedi_replace_file(source, target)` write the data
  scientists' DuckDB file beside its place and rename it over it.
- The erasure functions of stedi/erasure.py; a database file an erasure marked is
  rewritten before DuckDB opens it.
- `stedi_ensure_folder(path)` creates a local folder (DuckDB's COPY does not create
  parent folders); for object-store URIs it does nothing. `stedi_prune_folder(folder,
  file)` removes every other data file from a published table's folder or S3 prefix.
- `stedi_write_privacy_report(figures, path)` writes the privacy report the on-run-end
  hook computed (stedi/report_page.py), adding how the pseudonym key was provided.
- `stedi_rules_fingerprint()`: a digest of the project's models, macros and settings, for
  the incremental tables (macros/incremental/rebuild_changed_keys.sql).
- With `config: {aws: true}` (the `s3` target): loads httpfs, gives DuckDB an S3 secret
  from the standard AWS credential chain (see stedi/aws.py), checks that the landing and
  lake buckets are reachable before anything runs, and registers
  `stedi_register_glue_table(payload)` for the publish hook.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import os
import re
import zlib
from pathlib import Path
from typing import Any, TextIO

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.flags import get_flags
from dbt_common.exceptions import DbtRuntimeError
from duckdb import DuckDBPyConnection

from stedi import aws, erasure, extensions, keys, report_page


def project_dir() -> Path:
    """The dbt project this build runs (--project-dir, else the working folder)."""
    return Path(getattr(get_flags(), "PROJECT_DIR", None) or os.getcwd()).resolve()


def rules_fingerprint() -> str:
    """A digest of the project's SQL and settings (every model and macro, dbt_project.yml).
    The incremental tables fold it into each key's inputs: a changed rule rebuilds every key,
    as --full-refresh would, instead of leaving rows built by the old rule."""
    root = project_dir()
    digest = hashlib.sha256()
    files = [root / "dbt_project.yml", *root.glob("models/**/*.sql"), *root.glob("macros/**/*.sql")]
    for path in sorted(files):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def target_default(target: str, name: str) -> str:
    """As the target_default macro (macros/landing/landing_config.sql): data/<target>/<name>."""
    return f"data/{name}" if target == "local" else f"data/{target}/{name}"


def is_local(path: str) -> bool:
    return "://" not in path and path != ":memory:"


def take_lock(lock_path: Path, guarded: str) -> TextIO:
    """An exclusive lock held until the process ends; fails fast when another holds it."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    handle = lock_path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise DbtRuntimeError(
            f"Another build is running on {guarded} ({holder}). Wait for it to finish;"
            " nothing was changed by this one."
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}")
    handle.flush()
    return handle


def check_not_open_elsewhere(database: str, lake: str) -> None:
    """DuckDB's own lock error is a long traceback: name the holder in one line instead."""
    try:
        duckdb.connect(database).close()
    except duckdb.IOException as error:
        if "Could not set lock" not in str(error):
            raise
        holder = re.search(r"held in (.+?) \(PID (\d+)\)", str(error))
        who = f"{holder.group(1)}, pid {holder.group(2)}" if holder else "another process"
        raise DbtRuntimeError(
            f"{database} is open in another process ({who}). Close it (a duckdb shell holds"
            " the file even with -readonly) and build again; meanwhile read the published"
            f" Parquet under {lake}. Nothing was changed."
        ) from None


def prepare_file(path: str) -> str:
    """A fresh place for a local file: its folder exists, no earlier copy is in the way."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).unlink(missing_ok=True)
    Path(path + ".wal").unlink(missing_ok=True)
    return path


def replace_file(source: str, target: str) -> str:
    """Rename a finished local file over its target (atomic: readers see old or new)."""
    os.replace(source, target)
    return target


def damaged_gzip(path: str) -> str:
    """'truncated_file' or 'corrupt_file' for a .gz file whose stream does not check out,
    else '' (a DuckDB UDF may not return NULL)."""
    if not path.endswith(".gz"):
        return ""
    try:
        with aws.open_binary(path) as raw, gzip.GzipFile(fileobj=raw) as stream:
            while stream.read(1 << 24):
                pass
    except EOFError:
        return "truncated_file"
    except (OSError, zlib.error):  # BadGzipFile, a CRC or length mismatch, a bad stream
        return "corrupt_file"
    return ""


def ensure_folder(path: str) -> str:
    if "://" not in path:
        Path(path).mkdir(parents=True, exist_ok=True)
    return path


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict) -> None:
        self._key, self._key_origin = keys.pseudonym_key()
        self._locks: list[TextIO] = []
        self._aws = bool(plugin_config.get("aws"))
        self._target = str(plugin_config.get("target", "local"))
        self._secret_sql = ""

    def update_connection_config(self, creds: Any, config: dict[str, Any]) -> None:
        """Runs before DuckDB opens the database: take the locks, check AWS access."""
        # httpfs is installed into the Python environment, wherever dbt is started
        config["extension_directory"] = str(extensions.extension_directory())
        # relative paths (the default landing folder) that are not in the working folder
        # are looked up in the project's
        config["file_search_path"] = str(project_dir())
        database = str(creds.path)
        if not is_local(database) or self._locks:
            return
        if not os.environ.get("STEDI_DUCKDB"):
            # the profile's default is relative: the project's, wherever dbt is started
            database = creds.path = str(project_dir() / database)
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        self._locks.append(take_lock(Path(database + ".build-lock"), database))
        lake = os.environ.get("STEDI_LAKE") or str(
            project_dir() / target_default(self._target, "lake")
        )
        if is_local(lake):
            self._locks.append(take_lock(Path(lake) / ".build-lock", lake))
        check_not_open_elsewhere(database, lake)
        # an erasure dropped rows from this file: rewrite it before anything reads it
        erasure.compact_if_marked(database)
        if self._aws:
            if self._key_origin != "configured":
                raise DbtRuntimeError(
                    f"The s3 target publishes only with a configured {keys.KEY_ENV}: set it to"
                    " the secret key of your pseudonyms. Nothing was changed."
                )
            try:
                self._secret_sql = aws.duckdb_secret_sql()
                for variable in ("STEDI_LANDING", "STEDI_LAKE"):
                    location = os.environ.get(variable, "")
                    if aws.is_s3(location):
                        aws.check_bucket(location)
            except aws.AwsSetupError as error:
                raise DbtRuntimeError(f"{error} Nothing was changed.") from None

    def _write_privacy_report(self, figures: str, path: str) -> str:
        """The report's path, or `error: …` in one line for the hook to stop the build with
        (an exception here would reach the user as a Python traceback)."""
        target_path = Path(getattr(get_flags(), "TARGET_PATH", None) or "target")
        manifest = (project_dir() / target_path) / "manifest.json"
        try:
            return report_page.write_report(figures, path, self._key_origin, manifest)
        except Exception as error:
            return f"error: {type(error).__name__}: {error}".replace("\n", " ")

    def _configure(self, conn: DuckDBPyConnection) -> None:
        conn.execute("set variable stedi_pseudonym_key = ?", [self._key])
        functions = [
            ("stedi_ensure_folder", ensure_folder, ["VARCHAR"]),
            ("stedi_prune_folder", aws.prune_folder, ["VARCHAR", "VARCHAR"]),
            ("stedi_prepare_file", prepare_file, ["VARCHAR"]),
            ("stedi_damaged_gzip", damaged_gzip, ["VARCHAR"]),
            ("stedi_replace_file", replace_file, ["VARCHAR", "VARCHAR"]),
            ("stedi_write_privacy_report", self._write_privacy_report, ["VARCHAR", "VARCHAR"]),
            ("stedi_rules_fingerprint", rules_fingerprint, []),
            *erasure.duckdb_functions(),
        ]
        if self._aws:
            conn.execute("load httpfs")
            conn.execute(self._secret_sql)
            functions.append(("stedi_register_glue_table", aws.register_glue_table, ["VARCHAR"]))
        for name, function, parameters in functions:
            try:
                conn.create_function(name, function, parameters, "VARCHAR", side_effects=True)
            except Exception as error:  # already registered on this connection
                if "already exists" not in str(error):
                    raise

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        self._configure(conn)

    def configure_cursor(self, cursor: DuckDBPyConnection) -> None:
        self._configure(cursor)
