"""Wall time and peak memory of a full `dbt build` on DuckDB and on local Spark.

`python -m stedi.benchmark --customers 2000 20000` generates landing data of each size
once (stedi.generate, seed 42), then runs `dbt build` on each target into a fresh folder
and prints a Markdown table. Peak memory is that of the whole process tree (dbt and, on
Spark, the JVM it starts): the sum of the resident set sizes of the dbt process and all
its descendants, sampled from /proc every 50 ms (Linux only), so short peaks between two
samples can be missed.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Measurement:
    customers: int
    target: str
    landing_rows: int
    seconds: float
    peak_bytes: int
    returncode: int


def children_of() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def tree_rss(root: int) -> int:
    """Resident bytes of `root` and all its descendants."""
    children = children_of()
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        pending.extend(children.get(pid, []))
        try:
            resident_pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        total += resident_pages * PAGE_SIZE
    return total


def measure(command: list[str], env: dict[str, str], log: Path) -> tuple[float, int, int]:
    """Seconds, peak tree RSS in bytes and exit code of one command."""
    with log.open("w") as output:
        began = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=PROJECT_DIR, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        peak = 0
        while process.poll() is None:
            peak = max(peak, tree_rss(process.pid))
            time.sleep(0.05)
        seconds = time.perf_counter() - began
    return seconds, peak, process.returncode


def landing_rows(landing: Path) -> int:
    return sum(
        sum(1 for _ in path.open("rb")) for path in landing.glob("*/*.json") if path.is_file()
    )


def run(customers: list[int], targets: list[str], work: Path) -> list[Measurement]:
    from stedi.generate import generate

    measurements = []
    for count in customers:
        landing = work / f"landing-{count}"
        if not landing.is_dir():
            generate(landing, customers=count, seed=42)
        rows = landing_rows(landing)
        for target in targets:
            root = work / f"build-{count}-{target}"
            subprocess.run(["rm", "-rf", str(root)], check=True)
            root.mkdir(parents=True)
            env = dict(os.environ)
            env.update(
                STEDI_TARGET=target,
                STEDI_LANDING=str(landing),
                STEDI_LAKE=str(root / "lake"),
                STEDI_DUCKDB=str(root / "stedi.duckdb"),
                DBT_PROFILES_DIR=str(PROJECT_DIR),
                DBT_TARGET_PATH=str(root / "target"),
                DBT_LOG_PATH=str(root / "logs"),
                DBT_SEND_ANONYMOUS_USAGE_STATS="false",
                SPARK_LOCAL_IP="127.0.0.1",
            )
            dbt = str(Path(sys.executable).parent / "dbt")
            seconds, peak, code = measure([dbt, "build"], env, root / "build.log")
            measurements.append(Measurement(count, target, rows, seconds, peak, code))
            gib = peak / 2**30
            print(f"{count} customers, {target}: {seconds:.1f} s, {gib:.2f} GiB, exit {code}")
    return measurements


def table(measurements: list[Measurement]) -> str:
    lines = [
        "| customers | landing lines | target | wall time | peak memory (process tree) | exit |",
        "| ---: | ---: | --- | ---: | ---: | ---: |",
    ]
    for item in measurements:
        lines.append(
            f"| {item.customers:,} | {item.landing_rows:,} | {item.target} | {item.seconds:.1f} s"
            f" | {item.peak_bytes / 2**30:.2f} GiB | {item.returncode} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[2_000, 20_000])
    parser.add_argument("--targets", nargs="+", default=["local", "spark"])
    parser.add_argument("--work", type=Path, default=PROJECT_DIR / "bench" / "results" / "tmp")
    arguments = parser.parse_args(argv)
    measurements = run(arguments.customers, arguments.targets, arguments.work)
    print(f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}")
    print(table(measurements))
    return 0 if all(item.returncode == 0 for item in measurements) else 1


if __name__ == "__main__":
    raise SystemExit(main())
