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

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def target_path() -> Path:
    return Path(os.environ.get("DBT_TARGET_PATH", "target"))


def session_settings(target: Path) -> dict[str, str]:
    """The settings of the `spark` output in profiles.yml that locate and read its catalog."""
    return {
        "spark.master": os.environ.get("STEDI_SPARK_MASTER", "local[2]"),
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.ui.enabled": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "4",
        "spark.sql.warehouse.dir": f"{target}/spark-warehouse",
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={target}/spark-metastore;create=true"
        ),
        "spark.driver.extraJavaOptions": f"-Dderby.stream.error.file={target}/derby.log",
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
