"""Benchmark: build cost against landing size, on this machine, measured in one run.

`python bench/run.py --sizes 956 10000 100000 [--spark-max 10000] [--out bench/results]`
(or `make bench SIZES="…"`). For each size (number of customers) it generates landing data
with stedi.generate, then measures, each in its own process:

- floor: DuckDB reading and parsing every landing record once (`read_json` with typed
  columns, all three sources), nothing else;
- `dbt build` (every model and test, default policy, fresh database) and `dbt run` alone;
- `dbt build --target spark` where the Spark requirements are installed, up to --spark-max;
- `dbt build --target spark_cluster` up to --spark-cluster-max, when the cluster of
  `make spark-cluster-up` runs (or STEDI_SPARK_PORT names a Thrift server); its peak memory
  is dbt's only (the cluster's JVMs are not its children);
- the anchor: bench/anchor.sql, the strict rules written by hand as one DuckDB script
  over the landing JSON (no dbt, no per-line checks), on a database file with the build's
  memory limit and threads, writing the five trusted and curated tables as Parquet; its
  row counts beside the build's;
- a build with nothing new: the third `dbt build` on the full build's database (the second,
  which has no spare of the tables kept per key yet, is timed apart), the cost every build
  pays (dbt itself, every test, publishing);
- an incremental build: after that, stedi.generate.generate_increment adds
  new files (1 % of the readings, 1 % of the customers re-exported with changed consent)
  and one more `dbt build` runs on the same database; then `dbt build --full-refresh` on
  the same landing data, and whether every trusted and curated relation is identical
  after both (an order-independent checksum: row count and sum of row hashes);
- what publishing only what changed could save: for each table kept per key, the keys the
  incremental build changed and the share of rows a Parquet layout of N files split by the
  key's hash would rewrite (rewrite_shares);
- each dbt command after a `dbt parse` with the same settings (timed on its own), so it
  reuses the parsed project as a repeated build with unchanged settings does;
- wall time, CPU time, peak memory of the whole process tree (sampled), landing bytes,
  rows per second, and each node's time from dbt's run_results.json.

It writes results.json, results.md and chart.png (build time against landing size,
log-log, one line per engine plus the floor, the anchor and the incremental build) into
--out.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import psutil
import yaml

from stedi.generate import generate, generate_increment
from stedi.spark_cluster import running_thrift_port

PROJECT_DIR = Path(__file__).resolve().parents[1]
BIN_DIR = Path(sys.executable).parent

FLOOR_SCRIPT = """
import sys, duckdb
landing, memory, threads = sys.argv[1:4]
con = duckdb.connect(config={"memory_limit": memory, "threads": int(threads)})
columns = {
    "customer": "{customerName:'VARCHAR',email:'VARCHAR',phone:'VARCHAR',birthDay:'VARCHAR',"
    "serialNumber:'VARCHAR',registrationDate:'BIGINT',lastUpdateDate:'BIGINT',"
    "shareWithResearchAsOfDate:'BIGINT',shareWithPublicAsOfDate:'BIGINT',shareWithFriendsAsOfDate:'BIGINT'}",
    "accelerometer": "{user:'VARCHAR',timestamp:'BIGINT',x:'DOUBLE',y:'DOUBLE',z:'DOUBLE'}",
    "step_trainer": "{sensorReadingTime:'BIGINT',serialNumber:'VARCHAR',"
    "distanceFromObject:'BIGINT'}",
}
rows = 0
for source, schema in columns.items():
    path = f"{landing}/{source}/*.json*"
    # count every column, so every value is parsed (count(*) alone lets DuckDB skip parsing)
    rows += con.execute(
        f"select count(*), count(columns(*)) from read_json("
        f"'{path}', format='newline_delimited', columns={schema})"
    ).fetchone()[0]
print(rows)
"""

ANCHOR_SQL = PROJECT_DIR / "bench" / "anchor.sql"
# The anchor's DuckDB settings are the dbt profile's (profile_settings()).
ANCHOR_SCRIPT = """
import json, sys, duckdb
script, landing, database, lake, memory, threads, settings = sys.argv[1:8]
con = duckdb.connect(database, config={
    **json.loads(settings), "memory_limit": memory, "threads": int(threads),
})
con.execute("set enable_progress_bar = false")
for name, value in (("landing", landing), ("lake", lake), ("pseudonym_key", "bench-anchor")):
    con.execute(f"set variable {name} = ?", [value])
con.execute(open(script).read())
"""
# The tables the anchor writes, as they are named in the build.
ANCHOR_TABLES = {
    "customer_trusted": "trusted.customer_trusted",
    "accelerometer_trusted": "trusted.accelerometer_trusted",
    "step_trainer_trusted": "trusted.step_trainer_trusted",
    "customer_curated": "curated.customer_curated",
    "machine_learning_curated": "curated.machine_learning_curated",
}


def measure(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run a command; wall and CPU time and the peak RSS of its whole process tree."""
    # Output goes to a file: a pipe read only at the end blocks a child that writes more
    # than the pipe holds (DuckDB's progress bar did).
    with tempfile.TemporaryFile() as log:
        started, started_epoch = time.perf_counter(), time.time()
        process = psutil.Popen(
            command, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        peak, peak_at = 0, 0.0
        cpu_by_pid: dict[int, float] = {}
        while process.poll() is None:
            try:
                tree = [process, *process.children(recursive=True)]
                rss = 0
                for member in tree:
                    with member.oneshot():
                        rss += member.memory_info().rss
                        times = member.cpu_times()
                        cpu_by_pid[member.pid] = times.user + times.system
                if rss > peak:
                    peak, peak_at = rss, time.perf_counter() - started
            except psutil.Error:
                pass
            time.sleep(0.05)
        wall = time.perf_counter() - started
        log.seek(0)
        output = log.read().decode("utf-8", "replace")
    # CPU of processes that ended between two samples is missed: a lower bound
    cpu = sum(cpu_by_pid.values())
    return {
        "command": " ".join(command[:3]),
        "returncode": process.returncode,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        # decimal units, as in DuckDB's memory_limit ('4GB' is 4 * 10^9 bytes)
        "peak_rss_mb": round(peak / 1e6),
        "peak_at_s": round(peak_at, 1),
        "peak_epoch": started_epoch + peak_at,
        "output_tail": output[-1500:] if process.returncode else "",
    }


def landing_size(landing: Path) -> tuple[int, int]:
    files = [path for path in landing.rglob("*.json*") if path.is_file()]
    return len(files), sum(path.stat().st_size for path in files)


def node_times(results: list[dict[str, Any]]) -> dict[str, float]:
    """Each model's and hook's time, and the data tests' and unit tests' summed."""
    times = {
        result["unique_id"].split(".", 2)[-1]: round(result["execution_time"], 3)
        for result in results
        if result["unique_id"].startswith(("model.", "operation."))
    }
    for kind in ("test", "unit_test"):
        times[f"all {kind}s"] = round(
            sum(r["execution_time"] for r in results if r["unique_id"].startswith(f"{kind}.")),
            3,
        )
    return times


def data_test_times(results: list[dict[str, Any]]) -> dict[str, float]:
    """Each data test's time, slowest first (where the summed "all tests" goes)."""
    times = {
        result["unique_id"].split(".")[2]: round(result["execution_time"], 3)
        for result in results
        if result["unique_id"].startswith("test.")
    }
    return dict(sorted(times.items(), key=lambda item: -item[1]))


def nodes_running_at(results: list[dict[str, Any]], epoch: float) -> list[str]:
    """The nodes dbt was executing at that instant (to place the memory peak)."""
    running = []
    for result in results:
        for step in result["timing"]:
            if step["name"] == "execute" and step["started_at"] and step["completed_at"]:
                began, ended = (
                    datetime.fromisoformat(step[key].replace("Z", "+00:00")).timestamp()
                    for key in ("started_at", "completed_at")
                )
                if began <= epoch <= ended:
                    running.append(result["unique_id"].split(".", 2)[-1])
    return running


def relation_checksums(database: Path) -> dict[str, dict[str, Any]]:
    """Every published trusted and curated relation: its row count and the sum of its rows'
    hashes, which does not depend on row order."""
    with duckdb.connect(str(database), read_only=True) as con:
        names = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
            " where table_schema in ('trusted', 'curated') order by 1"
        ).fetchall()
        checksums = {}
        for (name,) in names:
            rows, total = con.execute(
                f"select count(*), coalesce(sum(hash(relation)), 0) from {name} as relation"
            ).fetchone()
            checksums[name] = {"rows": rows, "checksum": str(total)}
    return checksums


# The published tables kept per key, and the file counts of a Parquet layout split by key hash
# that rewrite_shares weighs: with fewer files, each holds more customers.
KEYED_TABLES = {
    "trusted.accelerometer_trusted": "user_key",
    "trusted.step_trainer_trusted": "serial_number",
    "curated.machine_learning_curated": "subject_id",
}
LAYOUT_FILES = (16, 256, 4096)


def snapshot_key_digests(database: Path, snapshot: Path) -> None:
    """Each keyed published table as one digest per key, into the database file `snapshot`."""
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute(f"attach '{snapshot}' as snapshot (read_only false)")
        for relation, key in KEYED_TABLES.items():
            con.execute(
                f'create or replace table snapshot."{relation}" as select relation.{key} as key,'
                " sum(hash(relation)) as digest, count(*) as row_count"
                f" from {relation} as relation group by 1"
            )


def rewrite_shares(database: Path, snapshot: Path) -> dict[str, dict[str, Any]]:
    """What publishing only what changed could save after the increment: per keyed table, the
    keys whose rows changed since `snapshot`, and for a layout of N Parquet files split by the
    key's hash, the share of the table's rows in files that hold a changed key (the files a
    build must rewrite: a withdrawn customer's rows must leave every file)."""
    shares = {}
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute(f"attach '{snapshot}' as snapshot (read_only)")
        for relation, key in KEYED_TABLES.items():
            con.execute(
                "create or replace temp table after_increment as select relation."
                f"{key} as key, sum(hash(relation)) as digest, count(*) as row_count"
                f" from {relation} as relation group by 1"
            )
            con.execute(
                "create or replace temp table changed_keys as select key from after_increment"
                f' full join snapshot."{relation}" as before using (key)'
                " where after_increment.digest is distinct from before.digest"
            )
            keys, changed = con.execute(
                "select (select count(*) from after_increment), (select count(*) from changed_keys)"
            ).fetchone()
            rewritten = {
                str(files): round(
                    con.execute(
                        "select coalesce(sum(row_count) filter (where hash(key) % $files in"
                        " (select hash(key) % $files from changed_keys)), 0)"
                        " / greatest(sum(row_count), 1) from after_increment",
                        {"files": files},
                    ).fetchone()[0],
                    4,
                )
                for files in LAYOUT_FILES
            }
            shares[relation] = {"keys": keys, "changed_keys": changed, "rows_rewritten": rewritten}
    return shares


def timed_dbt(command: list[str], run_env: dict[str, str], root: Path) -> dict[str, Any]:
    """`dbt parse`, then the dbt command timed on its own, with each node's time."""
    parse = measure([str(BIN_DIR / "dbt"), "parse"], run_env)
    measured = parse  # a failed parse is the result, with its output
    if parse["returncode"] == 0:
        measured = measure([str(BIN_DIR / "dbt"), *command], run_env)
    measured["parse_s"] = parse["wall_s"]
    if measured["returncode"] == 0:
        results = json.loads((root / "target" / "run_results.json").read_text())["results"]
        measured["nodes_s"] = node_times(results)
        measured["data_tests_s"] = data_test_times(results)
        measured["nodes_at_peak"] = nodes_running_at(results, measured["peak_epoch"])
    return measured


def profile_settings() -> dict[str, object]:
    """The DuckDB settings of the build's profile (profiles.yml, output local), but for the
    memory limit and threads, which are templated there and given to the bench."""
    profile = yaml.safe_load((PROJECT_DIR / "profiles.yml").read_text())
    settings = profile["stedi"]["outputs"]["local"]["settings"]
    return {
        name: value for name, value in settings.items() if name not in ("memory_limit", "threads")
    }


def run_anchor(landing: Path, work: Path, args: argparse.Namespace, env: dict[str, str]) -> dict:
    root = work / f"anchor-{landing.name}"
    shutil.rmtree(root, ignore_errors=True)
    (root / "lake").mkdir(parents=True)
    measured = measure(
        [
            str(BIN_DIR / "python"),
            "-c",
            ANCHOR_SCRIPT,
            str(ANCHOR_SQL),
            str(landing),
            str(root / "anchor.duckdb"),
            str(root / "lake"),
            args.memory_limit,
            str(args.threads),
            json.dumps(profile_settings()),
        ],
        env,
    )
    if measured["returncode"] == 0:
        with duckdb.connect() as con:
            measured["rows"] = {
                relation: con.execute(
                    "select count(*) from read_parquet(?)",
                    [str(root / "lake" / f"{table}.parquet")],
                ).fetchone()[0]
                for table, relation in ANCHOR_TABLES.items()
            }
    shutil.rmtree(root, ignore_errors=True)
    return measured


def run_incremental(
    landing: Path, root: Path, run_env: dict[str, str], args: argparse.Namespace
) -> dict[str, Any]:
    """Time `dbt build` on the full build's database with nothing new (what every build costs),
    add the increment to the landing data, time `dbt build` again and compare it with
    `dbt build --full-refresh` on the same landing data.

    The second build has no spare of the tables kept per key yet and rebuilds them in full
    (docs/incremental.md): it is timed apart, and "nothing new" is the third, as every later
    day's build runs."""
    second = timed_dbt(["build"], run_env, root)
    if second["returncode"] != 0:
        return {"second_build": second}
    unchanged = timed_dbt(["build"], run_env, root)
    if unchanged["returncode"] != 0:
        return {"second_build": second, "unchanged": unchanged}
    unchanged["relations"] = relation_checksums(Path(run_env["STEDI_DUCKDB"]))
    snapshot = root / "keys-before-increment.duckdb"
    snapshot_key_digests(Path(run_env["STEDI_DUCKDB"]), snapshot)
    began = time.perf_counter()
    increment = generate_increment(landing, seed=args.seed, fraction=args.increment_fraction)
    result: dict[str, Any] = {
        "increment": {
            "fraction": args.increment_fraction,
            "generate_s": round(time.perf_counter() - began, 2),
            "rows": {
                source: increment[source]["rows"]
                for source in ("customer", "accelerometer", "step_trainer")
            },
            "consent_changes": increment["changes"],
        },
        "second_build": second,
        "unchanged": unchanged,
    }
    incremental = timed_dbt(["build"], run_env, root)
    result["incremental"] = incremental
    if incremental["returncode"] != 0:
        return result
    incremental["relations"] = relation_checksums(Path(run_env["STEDI_DUCKDB"]))
    result["rewrite_shares"] = rewrite_shares(Path(run_env["STEDI_DUCKDB"]), snapshot)
    full = timed_dbt(["build", "--full-refresh"], run_env, root)
    result["full_refresh"] = full
    if full["returncode"] == 0:
        full["relations"] = relation_checksums(Path(run_env["STEDI_DUCKDB"]))
        incremental["identical_to_full_refresh"] = incremental["relations"] == full["relations"]
    return result


def run_size(customers: int, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    landing = work / f"landing-{customers}"
    began = time.perf_counter()
    summary = generate(landing, customers, seed=args.seed, overwrite=True)
    generated_s = time.perf_counter() - began
    files, size = landing_size(landing)
    rows = sum(summary[source]["rows"] for source in ("customer", "accelerometer", "step_trainer"))
    result: dict[str, Any] = {
        "customers": customers,
        "landing_files": files,
        "landing_bytes": size,
        "landing_rows": rows,
        "generate_s": round(generated_s, 2),
    }

    env = dict(
        os.environ, DBT_SEND_ANONYMOUS_USAGE_STATS="false", DBT_PROFILES_DIR=str(PROJECT_DIR)
    )
    env.update(STEDI_DUCKDB_MEMORY_LIMIT=args.memory_limit, STEDI_DUCKDB_THREADS=str(args.threads))
    result["floor"] = measure(
        [
            str(BIN_DIR / "python"),
            "-c",
            FLOOR_SCRIPT,
            str(landing),
            args.memory_limit,
            str(args.threads),
        ],
        env,
    )

    result["anchor"] = run_anchor(landing, work, args, env)

    engines = [("duckdb", "local", "build"), ("duckdb_run", "local", "run")]
    if args.spark_max >= customers and importlib.util.find_spec("pyspark"):
        engines.append(("spark", "spark", "build"))
    thrift_port = os.environ.get("STEDI_SPARK_PORT") or running_thrift_port()
    if args.spark_cluster_max >= customers and thrift_port:
        engines.append(("spark_cluster", "spark_cluster", "build"))
        env["STEDI_SPARK_PORT"] = str(thrift_port)
    for name, target, command in engines:
        root = work / f"{name}-{customers}"
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        run_env = dict(
            env,
            STEDI_TARGET=target,
            STEDI_LANDING=str(landing),
            STEDI_LAKE=str(root / "lake"),
            STEDI_DUCKDB=str(root / "stedi.duckdb"),
            STEDI_ML_DUCKDB=str(root / "ml.duckdb"),
            DBT_TARGET_PATH=str(root / "target"),
            DBT_LOG_PATH=str(root / "logs"),
        )
        measured = timed_dbt([command], run_env, root)
        if measured["returncode"] == 0:
            measured["rows_per_s"] = round(rows / measured["wall_s"])
        result[name] = measured
        if name == "duckdb":
            if measured["returncode"] == 0:
                measured["relations"] = relation_checksums(root / "stedi.duckdb")
            full_build = (root, run_env)  # the incremental build continues from it
        else:
            shutil.rmtree(root, ignore_errors=True)
    # last: the increment changes the landing data the other measurements read
    root, run_env = full_build
    if result["duckdb"]["returncode"] == 0:
        result |= run_incremental(landing, root, run_env, args)
    shutil.rmtree(root, ignore_errors=True)
    if not args.keep:
        shutil.rmtree(landing, ignore_errors=True)
    return result


def markdown(results: list[dict[str, Any]], machine: dict[str, Any]) -> str:
    lines = [
        f"Machine: {machine['cpus']} CPUs, {machine['memory_gb']} GB RAM, {machine['platform']};"
        f" DuckDB memory limit {machine['memory_limit']}, {machine['threads']} threads;"
        f" 1-minute load average {machine.get('load_average_at_start', '?')} at the start,"
        f" {machine.get('load_average_at_end', '?')} at the end."
        " Each dbt command is timed after a `dbt parse` of the same settings (its own column);"
        " MB and GB are 10^6 and 10^9 bytes.",
        "",
        "| customers | landing | rows | generate | floor | dbt build | build / floor | dbt run"
        " | spark build | spark / duckdb | same, parse included | build peak memory | build CPU"
        " | dbt parse | spark cluster build |",
        "|" + " ---: |" * 15,
    ]
    for r in results:
        build, floor, run = r["duckdb"], r["floor"], r["duckdb_run"]
        spark = r.get("spark")

        ratio = build["wall_s"] / floor["wall_s"] if floor["wall_s"] else float("nan")
        spark_ratio = spark_ratio_with_parse = "–"
        if spark and spark["returncode"] == 0 and build["returncode"] == 0:
            spark_ratio = f"{spark['wall_s'] / build['wall_s']:.1f}×"
            with_parse = (spark["wall_s"] + spark["parse_s"]) / (build["wall_s"] + build["parse_s"])
            spark_ratio_with_parse = f"{with_parse:.1f}×"
        lines.append(
            f"| {r['customers']:,} | {r['landing_bytes'] / 1e6:,.0f} MB | {r['landing_rows']:,}"
            f" | {r['generate_s']} s | {floor['wall_s']} s | {seconds(build)} | {ratio:.1f}×"
            f" | {seconds(run)} | {seconds(spark)} | {spark_ratio} | {spark_ratio_with_parse}"
            f" | {build['peak_rss_mb']:,} MB | {build['cpu_s']} s | {build['parse_s']} s"
            f" | {seconds(r.get('spark_cluster'))} |"
        )
    lines += [
        "",
        'Incremental builds and anchor, same run. "Nothing new" is the third `dbt build` on the'
        " full build's database with no new landing file (the second rebuilds the tables kept"
        " per key in full, as it has no spare of them yet): what every build costs (dbt itself,"
        " every test, publishing). The incremental build is the next `dbt build`, after new"
        " files holding the share of readings and customers below; the full refresh is"
        " `dbt build --full-refresh` on the same grown landing data,"
        ' and "identical" compares the row count and the sum of row hashes of every trusted and'
        " curated relation after each. The anchor is bench/anchor.sql (the strict rules by hand,"
        " one DuckDB script, Parquet out) on the full build's landing data.",
        "",
        "| customers | new readings | customers re-exported (granted / withdrawn / moved)"
        " | dbt build | nothing new | nothing new / full | incremental build"
        " | incremental / full | full refresh"
        " | identical to full refresh | incremental peak memory | anchor | build / anchor"
        " | anchor peak memory | anchor rows = build rows |",
        "|" + " ---: |" * 15,
    ]
    for r in results:
        build, anchor, unchanged = r["duckdb"], r["anchor"], r.get("unchanged")
        incremental, full = r.get("incremental"), r.get("full_refresh")
        increment = r.get("increment")
        new_readings = changed = "–"
        if increment:
            rows = increment["rows"]
            new_readings = f"{rows['accelerometer'] + rows['step_trainer']:,}"
            kinds = increment["consent_changes"]
            changed = (
                f"{rows['customer']:,} ({kinds['granted']} / {kinds['withdrawn']}"
                f" / {kinds['moved']})"
            )
        build_anchor = identical = "–"
        if incremental and "identical_to_full_refresh" in incremental:
            identical = "yes" if incremental["identical_to_full_refresh"] else "**no**"
        if anchor["returncode"] == 0 and build["returncode"] == 0:
            build_anchor = f"{build['wall_s'] / anchor['wall_s']:.1f}×"
        same_rows = "–"
        if "rows" in anchor and "relations" in build:
            built = {name: build["relations"][name]["rows"] for name in anchor["rows"]}
            same_rows = "yes" if built == anchor["rows"] else "**no**"
        incremental_peak = f"{incremental['peak_rss_mb']:,} MB" if incremental else "–"
        lines.append(
            f"| {r['customers']:,} | {new_readings} | {changed} | {seconds(build)}"
            f" | {seconds(unchanged)} | {share_of(unchanged, build)} | {seconds(incremental)}"
            f" | {share_of(incremental, build)} | {seconds(full)} | {identical}"
            f" | {incremental_peak} | {seconds(anchor)} | {build_anchor}"
            f" | {anchor['peak_rss_mb']:,} MB | {same_rows} |"
        )
    if any(r.get("rewrite_shares") for r in results):
        layouts = " / ".join(f"{files:,}" for files in LAYOUT_FILES)
        lines += [
            "",
            "What publishing only what changed could save, same run: for each table kept per key,"
            " the keys whose published rows the incremental build changed, and the share of the"
            f" table's rows that a Parquet layout of {layouts} files split by the key's hash"
            " would rewrite (the files that hold a changed key; a withdrawn customer's rows"
            " must leave every file in that build).",
            "",
            f"| customers | table | keys | keys changed | rows rewritten, {layouts} files |",
            "| ---: | --- | ---: | ---: | ---: |",
        ]
        for r in results:
            for relation, share in r.get("rewrite_shares", {}).items():
                rewritten = " / ".join(
                    f"{100 * share['rows_rewritten'][str(files)]:.0f} %" for files in LAYOUT_FILES
                )
                changed, keys = share["changed_keys"], share["keys"]
                of_keys = f" ({100 * changed / keys:.1f} %)" if keys else ""
                lines.append(
                    f"| {r['customers']:,} | {relation} | {keys:,}"
                    f" | {changed:,}{of_keys} | {rewritten} |"
                )
    return "\n".join(lines) + "\n"


def share_of(step: dict[str, Any] | None, whole: dict[str, Any]) -> str:
    """step's wall time as a share of whole's, when both succeeded."""
    if not step or step["returncode"] != 0 or whole["returncode"] != 0:
        return "–"
    return f"{step['wall_s'] / whole['wall_s']:.2f}"


def seconds(step: dict[str, Any] | None) -> str:
    if not step:
        return "–"
    return f"{step['wall_s']} s" if step["returncode"] == 0 else "failed"


def chart(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5))
    sizes = [r["landing_bytes"] / 1e6 for r in results]
    for key, label in (
        ("floor", "floor: DuckDB reads + parses once"),
        ("anchor", "anchor: the strict rules by hand in DuckDB"),
        ("duckdb", "dbt build, DuckDB"),
        ("duckdb_run", "dbt run, DuckDB"),
        ("spark", "dbt build, Spark (local)"),
        ("spark_cluster", "dbt build, Spark cluster (2 workers)"),
        ("incremental", "incremental dbt build (+1 %)"),
    ):
        points = [
            (size, r[key]["wall_s"])
            for size, r in zip(sizes, results, strict=True)
            if key in r and r[key]["returncode"] == 0
        ]
        if points:
            axes.plot(*zip(*points, strict=True), marker="o", label=label)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("landing data (MB of JSON)")
    axes.set_ylabel("wall time (s)")
    axes.set_title("STEDI lakehouse build time against landing size")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[956, 10_000, 100_000])
    parser.add_argument("--spark-max", type=int, default=10_000)
    parser.add_argument("--spark-cluster-max", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--increment-fraction",
        type=float,
        default=0.01,
        help="share of the readings and of the customers in the incremental build's new files",
    )
    parser.add_argument(
        "--memory-limit", default=os.environ.get("STEDI_DUCKDB_MEMORY_LIMIT", "4GB")
    )
    parser.add_argument(
        "--threads", type=int, default=int(os.environ.get("STEDI_DUCKDB_THREADS", "2"))
    )
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "bench" / "results")
    parser.add_argument(
        "--work", type=Path, default=None, help="scratch folder (default: a temp dir)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated landing data")
    args = parser.parse_args(argv)

    machine = {
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30),
        "platform": platform.platform(),
        "memory_limit": args.memory_limit,
        "threads": args.threads,
        # other processes on the machine skew wall times: say how busy it was
        "load_average_at_start": round(os.getloadavg()[0], 2),
    }
    work = args.work or Path(tempfile.mkdtemp(prefix="stedi-bench-"))
    results = []
    for customers in args.sizes:
        print(f"benchmark: {customers:,} customers", file=sys.stderr, flush=True)
        results.append(run_size(customers, work, args))
    args.out.mkdir(parents=True, exist_ok=True)
    machine["load_average_at_end"] = round(os.getloadavg()[0], 2)
    (args.out / "results.json").write_text(
        json.dumps({"machine": machine, "results": results}, indent=2)
    )
    (args.out / "results.md").write_text(markdown(results, machine))
    chart(results, args.out / "chart.png")
    print(markdown(results, machine))
    failed = [
        r["customers"]
        for r in results
        if r["duckdb"]["returncode"] != 0
        or r["anchor"]["returncode"] != 0
        or not r.get("incremental", {}).get("identical_to_full_refresh")
    ]
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    if failed:
        print(
            f"A build or the anchor failed, or the incremental build differs from the full"
            f" refresh, at sizes {failed}: see results.json",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
