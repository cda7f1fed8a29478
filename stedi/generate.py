"""Deterministic, streaming generator of STEDI landing-zone sample data.

It imitates the Udacity course export ``v2-2023-reduced`` (see the data README in
``shared/stedi-data``) so that the dbt models can be tested and benchmarked at any
size without redistributing the course data:

* ``customer/customer-<ms>.json``: one customer per line, keys in the course's order,
  ``", "``/``": "`` separators like the course file. ``phone`` is always the string
  ``"8015551212"``, birthdays are absurd (``Y-01-01``: mostly before 1900, some with a
  three-digit year such as ``"967-01-01"``), and each ``shareWith…AsOfDate`` key is
  present for about half the customers and otherwise *absent* (not null). About 5 %
  change their settings after registration (1 ms or about one minute later). For
  them every consent date present is that later instant.
* ``step_trainer/step_trainer-<ms>.json``: exactly 30 evenly spaced readings per
  customer (step 2.03–4 s) in a burst that ends ~1.2 minutes after registration,
  or just before a late consent. So many readings predate consent, and some
  customers have none after it.
* ``accelerometer/accelerometer-<ms>.json``: 1–6 (mostly 3) phone readings per
  step-trainer reading, same user and same millisecond, x/y in {-1.0, 0.0, 1.0} and
  z in {-1.0, 0.0}, never two equal rows in a group (about 85 per customer).

Registrations are one every ``REGISTRATION_GAP_MS`` on average, starting on
2022-06-18. Each customer's burst then overlaps ~400 others, and about 0.1 readings
fall on any given millisecond. So about 5 % of the timestamps are shared by two or
more customers, as in the course data. E-mails get the customer number
(``First.Last<n>@test.com``) so they stay unique at any size.

Customers are cut into shards of ``shard_size`` consecutive customers. Shard ``k``
draws everything from ``random.Random(f"{seed}:{k}")`` and writes its own files
(at most ``rows_per_file`` rows each, named by a fake export time that is a
function of the seed, shard and part). So the output is byte-identical for any
number of worker processes. Lines are built with plain string formatting and
written in batches of a few MB. Nothing bigger than a batch is held in memory.

Usage: ``python -m stedi.generate --out DIR --customers N [--seed S]
[--rows-per-file R] [--gzip] [--workers W] [--overwrite] [--if-empty]``.

``python -m stedi.generate --increment --out DIR [--seed S] [--fraction F]`` adds a
later day's files to an existing landing folder (:func:`generate_increment`): new phone
and device readings of existing customers, and a re-export of some customers with their
research consent changed. Existing files are never touched.
"""

from __future__ import annotations

import argparse
import gzip as gzip_module
import itertools
import json
import math
import multiprocessing
import os
import random
import re
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from stedi.aws import is_s3

SOURCES = ("customer", "accelerometer", "step_trainer")
START_MS = 1_655_561_935_465  # 2022-06-18 14:18:55Z, the course's first event
REGISTRATION_GAP_MS = 300  # mean gap; 30 readings / 300 ms = 0.1 per ms -> ~5 % shared
EXPORT_BASE_MS = 1_691_348_231_425  # 2023-08-06, the course export time
READINGS = 30  # step-trainer readings per customer
MAX_PHONE_READINGS = 6  # per step-trainer reading
SHARD_SIZE = 5_000  # customers per shard (unit of work and of files)
BATCH = 250  # customers per write
DEFAULT_ROWS_PER_FILE = 1_000_000
PHONE = "8015551212"
GZIP_LEVEL = 6

# fmt: off
FIRST_NAMES = (
    "Aaron", "Abigail", "Adam", "Aisha", "Alex", "Amara", "Ana", "Andre", "Arjun", "Ben",
    "Bianca", "Carlos", "Chen", "Chloe", "Dan", "Diego", "Elena", "Emma", "Eric", "Fatima",
    "Frank", "Grace", "Hana", "Hugo", "Ivan", "Jade", "Jamal", "Jane", "John", "Kai", "Kenji",
    "Laura", "Leo", "Lina", "Luis", "Maya", "Mei", "Mohammed", "Nadia", "Noah", "Olga", "Omar",
    "Priya", "Rafael", "Rosa", "Sam", "Sara", "Tariq", "Tom", "Uma", "Victor", "Wei", "Yusuf",
    "Zoe",
)
LAST_NAMES = (
    "Abbott", "Alvarez", "Baker", "Banerjee", "Brooks", "Castillo", "Cohen", "Dubois", "Ellis",
    "Evans", "Fischer", "Garcia", "Gupta", "Hansen", "Ibrahim", "Ito", "Jensen", "Kim",
    "Kowalski", "Larsen", "Lopez", "Martin", "Meyer", "Morales", "Nakamura", "Novak", "Okafor",
    "Olsen", "Patel", "Quinn", "Reyes", "Rossi", "Santos", "Schmidt", "Silva", "Singh",
    "Tanaka", "Torres", "Usman", "Vargas", "Wagner", "Walsh", "Wong", "Young", "Zhang",
)
# fmt: on

# Accelerometer value triples, as JSON text ready to close a line.
_XYZ = [
    f',"x":{x},"y":{y},"z":{z}}}\n'
    for x in (-1.0, 0.0, 1.0)
    for y in (-1.0, 0.0, 1.0)
    for z in (-1.0, 0.0)
]


def _group_templates(size: int) -> list[str]:
    """All groups of `size` distinct triples, as str.format templates taking the line head."""
    return [
        "".join("{0}" + xyz.replace("}", "}}") for xyz in combo)
        for combo in itertools.permutations(_XYZ, size)
    ]


_GROUPS = {size: _group_templates(size) for size in (1, 2, 3)}
# Group sizes from 16 random bits, like the course: 83.7 % three, 16 % two, 0.3 % one,
# and a few 4, 5 or 6.
_SIZE_3, _SIZE_2, _SIZE_1 = 54_853, 65_330, 65_533
# Multipliers coprime with 30: (a * j + b) % 30 shuffles the order of a customer's readings.
_ORDER_MULTIPLIERS = (1, 7, 11, 13, 17, 19, 23, 29)


@dataclass(frozen=True)
class _Shard:
    out_dir: Path
    seed: int
    index: int
    first: int  # global number of the shard's first customer
    count: int
    rows_per_file: int
    gzip: bool
    export_ms: int
    shard_size: int


class _SplitWriter:
    """Writes one source of one shard into files of at most `rows_per_file` rows."""

    def __init__(self, shard: _Shard, source: str, max_rows_per_customer: int) -> None:
        self.shard, self.source = shard, source
        # Enough export milliseconds per shard for the largest possible number of parts.
        self.stride = math.ceil(shard.shard_size * max_rows_per_customer / shard.rows_per_file)
        self.part = 0
        self.file: BinaryIO | None = None
        self.raw: BinaryIO | None = None  # the plain file under a GzipFile
        self.left = 0  # rows that still fit in the open file
        self.buffer: list[str] = []
        self.rows = self.files = 0

    def write(self, block: str, rows: int) -> None:
        """Add `rows` complete lines held in `block`."""
        while rows:
            if self.file is None:
                self._open()
            take = min(rows, self.left)
            if take == rows:
                self.buffer.append(block)
            else:  # rare: the file ends inside this block
                lines = block.splitlines(keepends=True)
                self.buffer.append("".join(lines[:take]))
                block = "".join(lines[take:])
            self.left -= take
            self.rows += take
            rows -= take
            if self.left == 0:
                self._close()

    def flush(self) -> None:
        if self.buffer and self.file is not None:
            self.file.write("".join(self.buffer).encode("ascii"))
            self.buffer.clear()

    def _open(self) -> None:
        s = self.shard
        ms = s.export_ms + s.index * self.stride + self.part  # distinct per file
        name = f"{self.source}-{ms}.json"
        folder = s.out_dir / self.source
        if s.gzip:
            self.raw = open(folder / (name + ".gz"), "wb")  # noqa: SIM115 (closed in _close)
            # mtime=0 keeps the gzip header, and so the bytes, reproducible.
            self.file = gzip_module.GzipFile(name, "wb", GZIP_LEVEL, self.raw, mtime=0)
        else:
            self.file = open(folder / name, "wb", buffering=1 << 20)  # noqa: SIM115
        self.part += 1
        self.files += 1
        self.left = s.rows_per_file

    def _close(self) -> None:
        if self.file is None:
            return
        self.flush()
        self.file.close()
        if self.raw is not None:
            self.raw.close()
        self.file = self.raw = None

    def close(self) -> dict[str, int]:
        self._close()
        return {"rows": self.rows, "files": self.files}


def _birth_year(r: float, rng: random.Random) -> int:
    if r < 0.055:
        return rng.randint(967, 999)  # three digits, not zero-padded
    if r < 0.107:
        return rng.randint(1900, 1964)
    return rng.randint(1000, 1899)


def _write_shard(shard: _Shard) -> dict[str, dict[str, int]]:
    """Generate and write the customers of one shard. Returns rows and files per source."""
    rng = random.Random(f"{shard.seed}:{shard.index}")
    rand, bits = rng.random, rng.getrandbits
    writers = {
        "customer": _SplitWriter(shard, "customer", 1),
        "accelerometer": _SplitWriter(shard, "accelerometer", READINGS * MAX_PHONE_READINGS),
        "step_trainer": _SplitWriter(shard, "step_trainer", READINGS),
    }
    customers, phone, steps = (writers[s] for s in SOURCES)
    groups3, groups2, groups1 = _GROUPS[3], _GROUPS[2], _GROUPS[1]
    n3, n2, n1 = len(groups3), len(groups2), len(groups1)

    for i in range(shard.first, shard.first + shard.count):
        first_name = FIRST_NAMES[int(rand() * len(FIRST_NAMES))]
        last_name = LAST_NAMES[int(rand() * len(LAST_NAMES))]
        email = f"{first_name}.{last_name}{i}@test.com"
        birth_year = _birth_year(rand(), rng)
        serial = str(uuid.UUID(int=bits(128), version=4))
        registered = START_MS + i * REGISTRATION_GAP_MS + int(rand() * REGISTRATION_GAP_MS)
        consented = registered
        if rand() < 0.05:  # settings changed after registration
            consented += 1 if rand() < 0.2 else 58_000 + int(rand() * 10_300)
        consent = f"{consented}"
        customer = (
            f'{{"customerName": "{first_name} {last_name}", "email": "{email}", '
            f'"phone": "{PHONE}", "birthDay": "{birth_year}-01-01", '
            f'"serialNumber": "{serial}", "registrationDate": {registered}, '
            f'"lastUpdateDate": {registered}'
        )
        if rand() < 0.50:
            customer += f', "shareWithResearchAsOfDate": {consent}'
        if rand() < 0.51:
            customer += f', "shareWithPublicAsOfDate": {consent}'
        if rand() < 0.53:
            customer += f', "shareWithFriendsAsOfDate": {consent}'
        customers.write(customer + "}\n", 1)

        # The burst: 30 readings `step` ms apart, ending ~72 s after registration,
        # or 2-4 s before a consent given a minute later.
        step = (61 + int(rand() * 60)) * 100 // 3
        if consented - registered > 1:
            end = consented - 2_000 - int(rand() * 2_000)
        else:
            end = registered + int(rng.triangular(55_000, 74_000, 72_500))
        start = end - (READINGS - 1) * step
        multiplier = _ORDER_MULTIPLIERS[int(rand() * len(_ORDER_MULTIPLIERS))]
        offset = int(rand() * READINGS)
        user = f'{{"user":"{email}","timestamp":'
        step_lines: list[str] = []
        phone_lines: list[str] = []
        phone_rows = 0
        for j in range(READINGS):
            t = start + (multiplier * j + offset) % READINGS * step
            r = bits(64)
            step_lines.append(
                f'{{"sensorReadingTime":{t},"serialNumber":"{serial}",'
                f'"distanceFromObject":{201 + (r & 0xFFFF) % 100}}}\n'
            )
            head = f"{user}{t}"
            size_bits, pick = (r >> 16) & 0xFFFF, r >> 32
            if size_bits < _SIZE_3:
                phone_lines.append(groups3[pick % n3].format(head))
                phone_rows += 3
            elif size_bits < _SIZE_2:
                phone_lines.append(groups2[pick % n2].format(head))
                phone_rows += 2
            elif size_bits < _SIZE_1:
                phone_lines.append(groups1[pick % n1].format(head))
                phone_rows += 1
            else:
                size = size_bits - _SIZE_1 + 4  # 4, 5 or 6
                phone_lines.extend(head + xyz for xyz in rng.sample(_XYZ, size))
                phone_rows += size
        steps.write("".join(step_lines), READINGS)
        phone.write("".join(phone_lines), phone_rows)

        if (i - shard.first + 1) % BATCH == 0:
            for writer in writers.values():
                writer.flush()
    return {source: writer.close() for source, writer in writers.items()}


def _export_ms(seed: int) -> int:
    """The fake export time of the first file: a function of the seed only."""
    return EXPORT_BASE_MS + random.Random(f"{seed}:export").randrange(86_400_000)


def _prepare(out_dir: Path, overwrite: bool) -> None:
    for source in SOURCES:
        folder = out_dir / source
        folder.mkdir(parents=True, exist_ok=True)
        old = sorted(folder.glob(f"{source}-*.json*"))
        if old and not overwrite:
            raise FileExistsError(
                f"{folder} already holds {len(old)} {source}-*.json files "
                "(pass overwrite=True / --overwrite to replace them)"
            )
        for path in old:
            path.unlink()


def generate(
    out_dir: Path,
    customers: int,
    seed: int = 42,
    rows_per_file: int = DEFAULT_ROWS_PER_FILE,
    gzip: bool = False,
    workers: int | None = None,
    *,
    shard_size: int = SHARD_SIZE,
    overwrite: bool = False,
) -> dict:
    """Write `customers` customers and their readings as NDJSON under `out_dir`.

    Returns ``{source: {"rows", "files", "bytes"}, ..., "bytes": total, "seconds": t}``.
    The files depend only on (customers, seed, rows_per_file, gzip, shard_size),
    never on `workers` (default: ``os.cpu_count()``).
    """
    if customers < 0 or rows_per_file < 1 or shard_size < 1:
        raise ValueError("need customers >= 0, rows_per_file >= 1 and shard_size >= 1")
    began = time.perf_counter()
    out_dir = Path(out_dir)
    _prepare(out_dir, overwrite)
    export_ms = _export_ms(seed)
    shards = [
        _Shard(
            out_dir,
            seed,
            k,
            first,
            min(shard_size, customers - first),
            rows_per_file,
            gzip,
            export_ms,
            shard_size,
        )
        for k, first in enumerate(range(0, customers, shard_size))
    ]
    workers = max(1, min(workers or os.cpu_count() or 1, len(shards)))
    if workers == 1:
        results = [_write_shard(shard) for shard in shards]
    else:
        # forkserver: safe even when the caller runs threads (DuckDB, dbt).
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            results = list(pool.map(_write_shard, shards))

    summary: dict = {}
    for source in SOURCES:
        files = list((out_dir / source).glob(f"{source}-*.json*"))
        summary[source] = {
            "rows": sum(r[source]["rows"] for r in results),
            "files": sum(r[source]["files"] for r in results),
            "bytes": sum(f.stat().st_size for f in files),
        }
    summary["bytes"] = sum(summary[s]["bytes"] for s in SOURCES)
    summary["seconds"] = round(time.perf_counter() - began, 3)
    return summary


INCREMENT_DELAY_MS = 86_400_000  # the increment lands a day after the newest instant
INCREMENT_READINGS_DELAY_MS = 3_600_000  # its readings start an hour after the re-export
_FILE_MS = re.compile(r"(\d+)\.json(\.gz)?$")


def _json_glob(out_dir: Path, source: str) -> str:
    return str(out_dir / source / "*.json*").replace("'", "''")


def _current_customers(out_dir: Path) -> list[dict]:
    """Each customer's current record (latest lastUpdateDate; ties: later file, later line),
    in customer-key order, as in models/intermediate/customer_state/customer_records.sql."""
    import duckdb  # only the increment needs it

    fields = {
        "customerName": "VARCHAR", "email": "VARCHAR", "phone": "VARCHAR",
        "birthDay": "VARCHAR", "serialNumber": "VARCHAR", "registrationDate": "BIGINT",
        "lastUpdateDate": "BIGINT", "shareWithResearchAsOfDate": "BIGINT",
        "shareWithPublicAsOfDate": "BIGINT", "shareWithFriendsAsOfDate": "BIGINT",
    }  # fmt: skip
    con = duckdb.connect()
    # a table keeps the reader's order, so its rowid is the line order within a file
    con.execute(
        f"create table records as select * from read_json('{_json_glob(out_dir, 'customer')}',"
        f" format = 'newline_delimited', columns = {fields!r}, filename = true,"
        " ignore_errors = true)"
    )
    names = ", ".join(f'"{name}"' for name in fields)
    rows = con.execute(
        f"select {names} from records"
        " where email is not null and serialNumber is not null and lastUpdateDate is not null"
        " qualify row_number() over (partition by lower(trim(email))"
        " order by lastUpdateDate desc, filename desc, rowid desc) = 1"
        " order by lower(trim(email))"
    ).fetchall()
    return [dict(zip(fields, row, strict=True)) for row in rows]


def _readings_stats(out_dir: Path) -> tuple[int, int]:
    """Number of reading lines (phone and device) and the latest reading instant."""
    import duckdb

    con = duckdb.connect()
    rows, newest = 0, 0
    for source, key in (("accelerometer", "timestamp"), ("step_trainer", "sensorReadingTime")):
        if not any((out_dir / source).glob("*.json*")):
            continue
        count, latest = con.execute(
            f"select count(*), max({key}) from read_json('{_json_glob(out_dir, source)}',"
            f" format = 'newline_delimited', columns = {{{key}: 'BIGINT'}},"
            " ignore_errors = true)"
        ).fetchone()
        rows, newest = rows + count, max(newest, latest or 0)
    return rows, newest


def _customer_line(record: dict) -> str:
    """A customer record in the course's key order and separators, absent keys left out."""
    present = {key: value for key, value in record.items() if value is not None}
    return json.dumps(present, separators=(", ", ": ")) + "\n"


def generate_increment(out_dir: Path, seed: int = 42, fraction: float = 0.01) -> dict:
    """Add a later day's landing files to the landing folder `out_dir`.

    * ``customer/customer-<ms>.json``: a re-export of ``fraction`` of the customers (at
      least one): each one's current record with a later ``lastUpdateDate`` and research
      consent granted (none before: granted at the re-export), withdrawn (key absent) or
      moved (1 to 60 s earlier or later), half and half where there was consent.
    * ``accelerometer/`` and ``step_trainer/`` files holding about ``fraction`` of the
      folder's readings: bursts like :func:`generate`'s (30 device readings, 1-6 phone
      readings at each instant) of customers who consent after the re-export, with their
      own e-mail and serial number, all later than every instant already in the folder.

    New files are named after the newest file (``<source>-<ms+1>.json``); existing files
    are never changed. The output depends only on the folder's content and `seed`.
    Returns rows, files and bytes per source, the consent changes and the first instant.
    """
    out_dir = Path(out_dir)
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    customers = _current_customers(out_dir) if any(out_dir.glob("customer/*.json*")) else []
    if not customers:
        raise ValueError(f"{out_dir / 'customer'} holds no customer records to change")
    reading_rows, newest_reading = _readings_stats(out_dir)
    date_keys = [key for key in customers[0] if key.endswith("Date")]
    newest_date = max(record[key] or 0 for record in customers for key in date_keys)
    newest = max(newest_reading, newest_date)
    first_ms = newest + INCREMENT_DELAY_MS
    rng = random.Random(f"{seed}:increment")
    rand = rng.random

    # the re-export: consent granted, withdrawn or moved
    changes = {"granted": 0, "withdrawn": 0, "moved": 0}
    changed = sorted(rng.sample(range(len(customers)), max(1, round(fraction * len(customers)))))
    customer_lines = []
    for number, index in enumerate(changed):
        record = dict(customers[index], lastUpdateDate=first_ms + number)
        consent = record["shareWithResearchAsOfDate"]
        if consent is None:
            record["shareWithResearchAsOfDate"] = record["lastUpdateDate"]
            changes["granted"] += 1
        elif rand() < 0.5:
            record["shareWithResearchAsOfDate"] = None
            changes["withdrawn"] += 1
        else:
            shift = 1_000 + int(rand() * 59_000)
            record["shareWithResearchAsOfDate"] = consent + (shift if rand() < 0.5 else -shift)
            changes["moved"] += 1
        customers[index] = record
        customer_lines.append(_customer_line(record))

    # the readings: bursts of customers who consent after the re-export (all if none does)
    consenting = [c for c in customers if c["shareWithResearchAsOfDate"] is not None]
    candidates = consenting or customers
    order = rng.sample(candidates, len(candidates))
    target = max(1, round(fraction * reading_rows))
    phone_lines: list[str] = []
    step_lines: list[str] = []
    rows = session = 0
    while rows < target:
        customer = order[session % len(order)]
        start = (
            first_ms
            + INCREMENT_READINGS_DELAY_MS
            + session * REGISTRATION_GAP_MS
            + int(rand() * REGISTRATION_GAP_MS)
            + session // len(order) * 600_000  # a customer's next burst comes 10 min later
        )
        step = (61 + int(rand() * 60)) * 100 // 3
        user = '{"user":' + json.dumps(customer["email"]) + ',"timestamp":'
        serial = json.dumps(customer["serialNumber"])
        for j in range(READINGS):
            if rows >= target:  # the last burst is cut short: about `fraction`, not more
                break
            t = start + j * step
            step_lines.append(
                f'{{"sensorReadingTime":{t},"serialNumber":{serial},'
                f'"distanceFromObject":{201 + int(rand() * 100)}}}\n'
            )
            size = 3 if rand() < 0.84 else (2 if rand() < 0.98 else 1)
            phone_lines.extend(user + f"{t}" + xyz for xyz in rng.sample(_XYZ, size))
            rows += 1 + size
        session += 1

    existing = [
        int(match[1])
        for source in SOURCES
        for path in (out_dir / source).glob("*.json*")
        if (match := _FILE_MS.search(path.name))
    ]
    file_ms = max(existing, default=first_ms - 1) + 1
    summary: dict = {}
    for source, lines in (
        ("customer", customer_lines),
        ("accelerometer", phone_lines),
        ("step_trainer", step_lines),
    ):
        path = out_dir / source / f"{source}-{file_ms}.json"
        with open(path, "x", encoding="ascii") as file:  # "x": never overwrite
            file.writelines(lines)
        summary[source] = {"rows": len(lines), "files": 1, "bytes": path.stat().st_size}
    summary["changes"] = changes
    summary["first_ms"] = first_ms
    summary["readings_before"] = reading_rows
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m stedi.generate",
        description="Write deterministic STEDI landing data (NDJSON) like the course export.",
    )
    parser.add_argument("--out", required=True, help="landing folder to fill")
    parser.add_argument("--customers", type=int, help="number of customers")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--rows-per-file", type=int, default=DEFAULT_ROWS_PER_FILE)
    parser.add_argument("--gzip", action="store_true", help="write .json.gz files")
    parser.add_argument("--workers", type=int, default=None, help="default: CPU count")
    parser.add_argument("--overwrite", action="store_true", help="replace earlier output")
    parser.add_argument(
        "--if-empty",
        action="store_true",
        help="do nothing if the folder holds landing data",
    )
    parser.add_argument(
        "--increment",
        action="store_true",
        help="add a later day's files to the landing data in --out (see generate_increment)",
    )
    parser.add_argument(
        "--fraction",
        type=float,
        default=0.01,
        help="with --increment: share of the readings and of the customers (default 0.01)",
    )
    args = parser.parse_args(argv)
    if args.increment:
        try:
            summary = generate_increment(Path(args.out), args.seed, args.fraction)
        except ValueError as error:
            parser.error(str(error))
        json.dump(summary, sys.stdout, indent=2)
        print()
        return 0
    if args.customers is None:
        parser.error("--customers is required (unless --increment)")
    if args.if_empty and is_s3(args.out):
        # `make run` and `make docs` ask for samples whatever the landing; S3 gets none
        print(
            f"Landing is on S3 ({args.out}): not generating sample data"
            " (upload data with `make upload-landing`).",
            file=sys.stderr,
        )
        return 0
    out = Path(args.out)
    if args.if_empty and any(out.glob("*/*.json*")):
        print(f"Using the landing data in {out}", file=sys.stderr)
        return 0
    summary = generate(
        out,
        args.customers,
        args.seed,
        args.rows_per_file,
        args.gzip,
        args.workers,
        overwrite=args.overwrite,
    )
    json.dump(summary, sys.stdout, indent=2)
    print()
    if args.if_empty:
        print(f"Generated {args.customers:,} sample customers into {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
