"""A local Spark session on the catalog that `dbt build` wrote with the `spark` target.

The `spark` output in profiles.yml keeps the Spark warehouse and its Derby metastore under
dbt's target folder (`DBT_TARGET_PATH`, default `target`). After a build, this opens the
same catalog, so the zones can be queried from Python: `python -m stedi.report` and the
parity tests use it. Derby allows one process at a time: not while a build is running.
Needs requirements-spark.txt (pyspark).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from stedi import profile

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def target_path() -> Path:
    return Path(os.environ.get("DBT_TARGET_PATH", "target"))


def session_settings(target: Path) -> dict[str, str]:
    """The `spark` output's settings in profiles.yml for the catalog under `target`.

    Reading the catalog needs no pseudonym key.
    """
    spark = profile.output("spark", {**os.environ, "DBT_TARGET_PATH": str(target)})
    return {
        name: value
        for name, value in spark["server_side_parameters"].items()
        if name != "spark.stedi.pseudonym_key"
    }


def open_session(target: Path | None = None) -> SparkSession:
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.enableHiveSupport()
    for name, value in session_settings(target or target_path()).items():
        builder = builder.config(name, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def export_relations(relations: list[str], out: Path, target: Path | None = None) -> None:
    """Write each relation's rows to `out/<relation>/` as Parquet (read by the parity tests)."""
    session = open_session(target)
    try:
        for relation in relations:
            frame = session.table(relation).coalesce(1)
            frame.write.mode("overwrite").parquet(str(out / relation))
    finally:
        session.stop()


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Export relations of the Spark catalog.")
    parser.add_argument("--target", type=Path, default=None, help="dbt target folder")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("relations", nargs="+")
    arguments = parser.parse_args(argv)
    export_relations(arguments.relations, arguments.out, arguments.target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
