"""A readable summary of the last build: rows per zone table and the quarantine.

`python -m stedi.report` (or `make report`) opens the DuckDB file read-only.
"""

from __future__ import annotations

import os
import sys

import duckdb

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


def main() -> int:
    path = os.environ.get("STEDI_DUCKDB", "data/stedi.duckdb")
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
    print(f"{'relation':<40} {'rows':>12}")
    for schema, tables in ZONE_TABLES.items():
        for table in tables:
            if (schema, table) in existing:
                rows = connection.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
                print(f"{schema + '.' + table:<40} {rows[0]:>12,}")
            else:
                print(f"{schema + '.' + table:<40} {'not built':>12}")
    if ("landing", "rejected_records") in existing:
        quarantined = connection.execute(
            """
            select source_name, rejection_reason, coalesce(rejected_field, '') as field, count(*)
            from landing.rejected_records
            group by all
            order by all
            """
        ).fetchall()
        total = sum(row[3] for row in quarantined)
        print(f"\nQuarantine (landing.rejected_records): {total:,} lines")
        for source_name, reason, field, rows in quarantined:
            print(f"  {source_name:<14} {reason:<24} {field:<28} {rows:>10,}")
    for table in ("accelerometer_trusted", "step_trainer_trusted"):
        if ("trusted", table) in existing:
            dropped = connection.execute(
                f"select coalesce(sum(landing_copies - 1), 0) from trusted.{table}"
            ).fetchone()[0]
            print(f"Identical duplicate lines kept once in trusted.{table}: {dropped:,} dropped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
