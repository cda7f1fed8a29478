"""A readable summary of the last build: rows per zone table and the quarantine.

`python -m stedi.report` (or `make report`) opens the DuckDB file read-only; with
`STEDI_TARGET=spark` (`make report TARGET=spark`) it opens the Spark catalog that the
build left under dbt's target folder instead (stedi/spark.py).

Every DuckDB build also writes the privacy report (docs/privacy-report.md) beside its
database; this prints where it is, and opens it in a browser when run in a desktop session.
"""

from __future__ import annotations

import json
import os
import sys
import webbrowser
from collections.abc import Callable
from pathlib import Path

import duckdb

from stedi import profile

ZONE_TABLES = {
    "landing": ["customer_landing", "accelerometer_landing", "step_trainer_landing"],
    "trusted": [
        "customer_trusted",
        "accelerometer_trusted",
        "step_trainer_trusted",
        "step_trainer_unattributed",
    ],
    "curated": ["customer_curated", "machine_learning_curated"],
}
QUARANTINE_SQL = """
    select source_name, rejection_reason, coalesce(rejected_field, '') as field, count(*)
    from landing.rejected_records
    group by source_name, rejection_reason, coalesce(rejected_field, '')
    order by source_name, rejection_reason, field
"""

BUILD_KEYS = ["stedi_build_id", "stedi_consent_policy", "stedi_landing", "stedi_built_at"]

Query = Callable[[str], list[tuple]]


def print_build(records: list[str]) -> None:
    """The header: the one build whose tables consumers see."""
    if not records:
        print("Published build: none yet (nothing has passed a whole `dbt build`)\n")
        return
    builds = [json.loads(record) for record in sorted(set(records))]
    for build in builds:
        print(
            f"Published build {build['stedi_build_id']}: policy {build['stedi_consent_policy']},"
            f" landing {build['stedi_landing']}, built at {build['stedi_built_at']}"
        )
    if len(builds) > 1:
        print("WARNING: the published tables come from more than one build")
    print()


def schema_of(zone: str) -> str:
    """A policy other than strict publishes to <zone>_<policy> (STEDI_POLICY, make POLICY=)."""
    policy = os.environ.get("STEDI_POLICY", "strict")
    return zone if policy == "strict" or zone == "landing" else f"{zone}_{policy}"


def print_report(query: Query, existing: set[tuple[str, str]]) -> None:
    print(f"{'relation':<40} {'rows':>12}")
    for zone, tables in ZONE_TABLES.items():
        schema = schema_of(zone)
        for table in tables:
            if (schema, table) in existing:
                rows = query(f"select count(*) from {schema}.{table}")[0][0]
                print(f"{schema + '.' + table:<40} {rows:>12,}")
            else:
                print(f"{schema + '.' + table:<40} {'not built':>12}")
    if ("landing", "rejected_records") in existing:
        quarantined = query(QUARANTINE_SQL)
        total = sum(row[3] for row in quarantined)
        print(f"\nQuarantine (landing.rejected_records): {total:,} lines")
        for source_name, reason, field, rows in quarantined:
            print(f"  {source_name:<14} {reason:<24} {field:<28} {rows:>10,}")
    trusted = schema_of("trusted")
    for table in ("accelerometer_trusted", "step_trainer_trusted"):
        if (trusted, table) in existing:
            dropped = query(f"select coalesce(sum(landing_copies - 1), 0) from {trusted}.{table}")
            print(f"Identical duplicate lines kept once in {trusted}.{table}:", end=" ")
            print(f"{dropped[0][0]:,} dropped")


def privacy_report_path(database: str) -> Path:
    """As the macro privacy_report_path: $STEDI_REPORT_DIR, else the database's folder."""
    folder = os.environ.get("STEDI_REPORT_DIR") or os.path.dirname(database)
    policy = os.environ.get("STEDI_POLICY", "strict")
    suffix = "" if policy == "strict" else f"_{policy}"
    return Path(folder, f"privacy-report{suffix}.html").resolve()


def print_privacy_report(path: Path, open_it: bool) -> None:
    if not path.exists():
        print(f"\nNo privacy report at {path}: a `dbt build` of this target writes it.")
        return
    build = json.loads(path.with_suffix(".json").read_text())["build"]
    published = "published" if build["published"] else "NOT published"
    print(f"\nPrivacy report of build {build['build_id']} ({published}): {path.as_uri()}")
    # `--open` (make report) in a desktop session opens it; CI, ssh and scripts get the path
    desktop = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    if open_it and desktop and sys.stdout.isatty() and not os.environ.get("CI"):
        webbrowser.open(path.as_uri())


def duckdb_report(open_it: bool = False) -> int:
    # the DuckDB output that built it: local, or s3 (its own database file)
    path = profile.output(os.environ.get("STEDI_TARGET") or "local")["path"]
    if not os.path.exists(path):
        print(
            f"No database at {path}: run `make run` first (or set STEDI_DUCKDB).", file=sys.stderr
        )
        return 1
    try:
        connection = duckdb.connect(path, read_only=True)
    except duckdb.IOException as error:
        print(f"Cannot open {path}: {error}", file=sys.stderr)
        return 1
    existing = {
        (schema, name)
        for schema, name in connection.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    }
    print_build(
        [
            json.dumps({key: json.loads(comment).get(key) for key in BUILD_KEYS}, sort_keys=True)
            for (comment,) in connection.execute(
                "select comment from duckdb_views()"
                " where schema_name in (?, ?) and comment is not null",
                [schema_of("trusted"), schema_of("curated")],
            ).fetchall()
        ]
    )
    print_report(lambda sql: connection.execute(sql).fetchall(), existing)
    print_privacy_report(privacy_report_path(path), open_it)
    return 0


def spark_report() -> int:
    from stedi.spark import open_session, target_path

    if not (target_path() / "spark-metastore").is_dir():
        print(
            f"No Spark catalog under {target_path()}: run `make run TARGET=spark` first.",
            file=sys.stderr,
        )
        return 1
    session = open_session()
    try:
        existing = {
            (schema, table.name)
            for schema in map(schema_of, ZONE_TABLES)
            if session.catalog.databaseExists(schema)
            for table in session.catalog.listTables(schema)
        }
        records = []
        for schema, table in sorted(existing):
            if schema in (schema_of("trusted"), schema_of("curated")):
                shown = session.sql(f"show tblproperties {schema}.{table}").collect()
                properties = {row[0]: row[1] for row in shown}
                if "stedi_build_id" in properties:
                    records.append(
                        json.dumps({key: properties.get(key) for key in BUILD_KEYS}, sort_keys=True)
                    )
        print_build(records)
        print_report(lambda sql: [tuple(row) for row in session.sql(sql).collect()], existing)
        print("\nNo privacy report: DuckDB targets write it (docs/privacy-report.md).")
    finally:
        session.stop()
    return 0


def main(arguments: list[str]) -> int:
    if os.environ.get("STEDI_TARGET", "local").startswith("spark"):
        return spark_report()
    return duckdb_report(open_it="--open" in arguments)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
