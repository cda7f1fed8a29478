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
- each dbt command after a `dbt parse` with the same settings (timed on its own), so it
  reuses the parsed project as a repeated build with unchanged settings does;
- wall time, CPU time, peak memory of the whole process tree (sampled), landing bytes,
  rows per second, and each node's time from dbt's run_results.json.

It writes results.json, results.md and chart.png (build time against landing size,
log-log, one line per engine plus the floor) into --out.
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

import psutil

from stedi.generate import generate
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


def measure(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run a command; wall and CPU time and the peak RSS of its whole process tree."""
    started, started_epoch = time.perf_counter(), time.time()
    process = psutil.Popen(
        command,
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
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
    output = process.stdout.read() if process.stdout else ""
    wall = time.perf_counter() - started
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
            DBT_TARGET_PATH=str(root / "target"),
            DBT_LOG_PATH=str(root / "logs"),
        )
        parse = measure([str(BIN_DIR / "dbt"), "parse"], run_env)
        measured = parse  # a failed parse is the result, with its output
        if parse["returncode"] == 0:
            measured = measure([str(BIN_DIR / "dbt"), command], run_env)
        measured["parse_s"] = parse["wall_s"]
        if measured["returncode"] == 0:
            measured["rows_per_s"] = round(rows / measured["wall_s"])
            results = json.loads((root / "target" / "run_results.json").read_text())["results"]
            measured["nodes_s"] = node_times(results)
            measured["nodes_at_peak"] = nodes_running_at(results, measured["peak_epoch"])
        result[name] = measured
        shutil.rmtree(root, ignore_errors=True)
    if not args.keep:
        shutil.rmtree(landing, ignore_errors=True)
    return result


def markdown(results: list[dict[str, Any]], machine: dict[str, Any]) -> str:
    lines = [
        f"Machine: {machine['cpus']} CPUs, {machine['memory_gb']} GB RAM, {machine['platform']};"
        f" DuckDB memory limit {machine['memory_limit']}, {machine['threads']} threads."
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

        def seconds(step: dict[str, Any] | None) -> str:
            if not step:
                return "–"
            return f"{step['wall_s']} s" if step["returncode"] == 0 else "failed"

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
    return "\n".join(lines) + "\n"


def chart(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5))
    sizes = [r["landing_bytes"] / 1e6 for r in results]
    for key, label in (
        ("floor", "floor: DuckDB reads + parses once"),
        ("duckdb", "dbt build, DuckDB"),
        ("duckdb_run", "dbt run, DuckDB"),
        ("spark", "dbt build, Spark (local)"),
        ("spark_cluster", "dbt build, Spark cluster (2 workers)"),
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
    }
    work = args.work or Path(tempfile.mkdtemp(prefix="stedi-bench-"))
    results = []
    for customers in args.sizes:
        print(f"benchmark: {customers:,} customers", file=sys.stderr, flush=True)
        results.append(run_size(customers, work, args))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(
        json.dumps({"machine": machine, "results": results}, indent=2)
    )
    (args.out / "results.md").write_text(markdown(results, machine))
    chart(results, args.out / "chart.png")
    print(markdown(results, machine))
    failed = [r["customers"] for r in results if r["duckdb"]["returncode"] != 0]
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    if failed:
        print(f"dbt build failed at sizes {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
