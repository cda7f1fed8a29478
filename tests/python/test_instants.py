"""Instants stay instants: the published *_at columns are UTC-adjusted, so a reader in any
time zone sees the instant of the *_ms column beside it."""

from __future__ import annotations

import os

import duckdb
import pytest
from conftest import PUBLISHED_RELATIONS

INSTANTS = {
    "trusted.customer_trusted": [("registration_at", "registration_ms")],
    "trusted.accelerometer_trusted": [("reading_at", "reading_ms")],
    "trusted.step_trainer_trusted": [("sensor_reading_at", "sensor_reading_ms")],
    "curated.customer_curated": [("research_consent_at", "research_consent_ms")],
    "curated.machine_learning_curated": [("sensor_reading_at", "sensor_reading_ms")],
}


def test_the_published_parquet_holds_utc_instants(generated_landing, built):
    result = built("generated", generated_landing, "strict")
    with duckdb.connect() as connection:
        connection.execute("set TimeZone = 'America/Denver'")
        for relation in PUBLISHED_RELATIONS:
            folder = result.published_folder(*relation.split("."))
            described = connection.execute(
                f"describe select * from read_parquet('{folder}/*.parquet')"
            ).fetchall()
            for name, column_type, *_ in described:
                if name.endswith("_at"):
                    assert column_type == "TIMESTAMP WITH TIME ZONE", (relation, name)


def test_spark_in_another_time_zone_reads_the_same_instants(generated_landing, built):
    pytest.importorskip("pyspark", reason="`make setup-spark` installs pyspark")
    from pyspark.sql import SparkSession

    result = built("generated", generated_landing, "strict")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "America/Denver")
        .getOrCreate()
    )
    try:
        for relation, pairs in INSTANTS.items():
            frame = spark.read.parquet(str(result.published_folder(*relation.split("."))))
            frame.createOrReplaceTempView("published")
            for instant, epoch_ms in pairs:
                [(rows, wrong)] = spark.sql(
                    f"select count({instant}), count_if(unix_millis({instant}) != {epoch_ms})"
                    " from published"
                ).collect()
                assert rows > 0 and wrong == 0, (relation, instant)
    finally:
        spark.stop()
