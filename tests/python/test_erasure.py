"""Right to erasure, proven on the bytes (docs/erasure.md).

Three customers of the 2022 course export are erased with `make erase`, then `make run`
builds. The test then reads the raw bytes of every file the lakehouse wrote or rewrote,
and finds none of their e-mails or names; and everything else is exactly what a build of
the landing data without those customers gives. The landing data "without those
customers" is made here, in Python, by parsing every line: an implementation of the
erasure rules independent of the SQL that carries them out.

The 2022 export has all three kinds the proof needs: customers who consented and have
phone readings, customers who never consented, and serial numbers that several customers
claim (all 30 of them). Every customer of both course exports has the same phone number
(8015551212), so no build can leave it out while another customer remains: the phone is
checked where it can be, in the rewritten landing files, which must equal the reference.
The generated data (a serial number per customer) proves the device rule: the readings of
a device whose only owner is erased go too.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pytest
import test_s3_glue
from conftest import (
    COURSE_V1,
    LANDING_RELATIONS,
    PROJECT_DIR,
    PUBLISHED_RELATIONS,
    Build,
    build,
    dbt_environment,
    erase_on_duckdb,
    require_course_data,
    run_dbt,
)
from test_s3_glue import LAKE_BUCKET, LANDING_BUCKET, upload

from stedi import aws

KEY = "erasure-test-key"
EXTENSIONS = {
    "extension_directory": str(PROJECT_DIR / ".venv" / "duckdb_extensions"),
    "autoinstall_known_extensions": False,
}
LINE_END = re.compile(rb"(\r\n|\r|\n)")


# --- the landing data, read independently of the project ---------------------------------


def lines_of(path: Path) -> list[bytes]:
    """The file's lines, each with its line ending."""
    data = path.read_bytes()
    text = gzip.decompress(data) if path.name.endswith(".gz") else data
    pieces = LINE_END.split(text)
    lines = [
        pieces[i] + (pieces[i + 1] if i + 1 < len(pieces) else b"")
        for i in range(0, len(pieces), 2)
    ]
    return [line for line in lines if line]


def record(line: bytes) -> dict:
    try:
        value = json.loads(line.decode().strip().rstrip(","))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def field(row: dict, key: str) -> object:
    """`key` of a landing record as the build reads it: the exact key, else the first key
    that equals it ignoring case."""
    if row.get(key) is not None:
        return row[key]
    return next((value for name, value in row.items() if name.lower() == key.lower()), None)


def key_of(value: object) -> str | None:
    return value.strip().lower() if isinstance(value, str) else None


def landing_files(landing: Path) -> list[Path]:
    return sorted(path for path in landing.rglob("*") if path.is_file())


def customers(landing: Path) -> dict[str, dict]:
    """Per customer key: current record, every name, research consent ever, readings."""
    found: dict[str, dict] = {}
    for path in sorted((landing / "customer").iterdir()):
        for line in lines_of(path):
            row = record(line)
            key = key_of(field(row, "email"))
            if not key:
                continue
            customer = found.setdefault(key, {"records": [], "readings": 0})
            customer["records"].append(row)
    for path in sorted((landing / "accelerometer").iterdir()):
        for line in lines_of(path):
            key = key_of(field(record(line), "user"))
            if key in found:
                found[key]["readings"] += 1
    for customer in found.values():
        # the latest accepted record; of equals, the one that landed last
        customer["current"] = max(
            reversed([row for row in customer["records"] if accepted(row)] or customer["records"]),
            key=lambda row: field(row, "lastUpdateDate") or 0,
        )
    return found


def accepted(record: dict) -> bool:
    """Whether the landing checks accept a customer record, as far as these tests' records
    need: the required keys there, e-mail and serial number texts, the dates whole numbers."""
    return all(isinstance(field(record, key), str) for key in ("email", "serialNumber")) and all(
        type(field(record, key)) is int for key in ("registrationDate", "lastUpdateDate")
    )


def device_owners(found: dict[str, dict]) -> dict[str, set[str]]:
    owners: dict[str, set[str]] = {}
    for key, customer in found.items():
        if accepted(customer["current"]):
            owners.setdefault(field(customer["current"], "serialNumber"), set()).add(key)
    return owners


def has_own_name(found: dict[str, dict], key: str) -> bool:
    """No other customer's name holds this customer's name."""
    name = found[key]["current"].get("customerName") or ""
    return bool(name) and not any(
        name in (row.get("customerName") or "")
        for other, customer in found.items()
        if other != key
        for row in customer["records"]
    )


def pick_customers(landing: Path) -> list[str]:
    """One who consented and has readings, one who never consented, one whose device another
    customer also claims; each with a name no other customer's line holds."""
    found = customers(landing)
    owners = device_owners(found)

    candidates = sorted(key for key in found if has_own_name(found, key))
    consenting = next(
        key
        for key in candidates
        if found[key]["current"].get("shareWithResearchAsOfDate") and found[key]["readings"]
    )
    never = next(
        key
        for key in candidates
        if key != consenting
        and not any(row.get("shareWithResearchAsOfDate") for row in found[key]["records"])
    )
    shared = next(
        key
        for key in candidates
        if key not in (consenting, never)
        and len(owners[found[key]["current"].get("serialNumber")]) > 1
    )
    return [consenting, never, shared]


def reference_landing(original: Path, reference: Path, erased: set[str]) -> dict[str, int]:
    """The landing data without the erased customers: their records, their phone readings,
    the readings of devices whose current owners are all erased, and any line holding their
    e-mail as a JSON string (quarantined lines). Lines removed per file."""
    found = customers(original)
    quoted = [f'"{key}"'.encode() for key in erased]
    gone_devices = {
        serial for serial, keys in device_owners(found).items() if serial and keys <= erased
    }
    removed: dict[str, int] = {}
    for path in landing_files(original):
        source = path.parent.name
        kept = []
        for line in lines_of(path):
            row = record(line)
            if (
                (source == "customer" and key_of(field(row, "email")) in erased)
                or (source == "accelerometer" and key_of(field(row, "user")) in erased)
                or (source == "step_trainer" and field(row, "serialNumber") in gone_devices)
                or any(text in line.lower() for text in quoted)
            ):
                continue
            kept.append(line)
        target = reference / path.relative_to(original)
        target.parent.mkdir(parents=True, exist_ok=True)
        content = b"".join(kept)
        target.write_bytes(gzip.compress(content) if path.name.endswith(".gz") else content)
        removed[str(path.relative_to(original))] = len(lines_of(path)) - len(kept)
    return removed


# --- looking for traces --------------------------------------------------------------------


def files_under(*folders: Path) -> Iterable[Path]:
    for folder in folders:
        if folder.is_file():
            yield folder
        elif folder.is_dir():
            yield from (path for path in sorted(folder.rglob("*")) if path.is_file())


def byte_hits(paths: Iterable[Path], needles: list[str]) -> list[str]:
    """(file, needle) for every file whose raw bytes (lower-cased; .gz also decompressed)
    hold a needle."""
    return blob_hits(((str(path), path.read_bytes()) for path in paths), needles)


def blob_hits(blobs: Iterable[tuple[str, bytes]], needles: list[str]) -> list[str]:
    hits = []
    lowered = [needle.lower().encode() for needle in needles]
    for name, data in blobs:
        contents = [data]
        if data[:2] == b"\x1f\x8b":
            contents.append(gzip.decompress(data))
        for content in contents:
            content = content.lower()
            hits += [f"{name}: {needle.decode()}" for needle in lowered if needle in content]
    return hits


def value_hits(paths: Iterable[Path], needles: list[str]) -> list[str]:
    """Needles in the values of Parquet files and of every table of DuckDB files (which
    compress text, so raw bytes alone would prove little)."""
    hits = []
    with duckdb.connect() as connection:
        for path in paths:
            if path.suffix == ".parquet":
                tables = [f"read_parquet('{path}')"]
            elif path.suffix == ".duckdb":
                connection.execute(f"attach '{path}' as scanned (read_only)")
                tables = [
                    f'scanned."{schema}"."{table}"'
                    for schema, table in connection.execute(
                        "select schema_name, table_name from duckdb_tables() where database_name = 'scanned'"
                    ).fetchall()
                ]
            else:
                continue
            for table in tables:
                for needle in needles:
                    found = connection.execute(
                        f"select count(*) from {table} as t where contains(lower(t::varchar), ?)",
                        [needle.lower()],
                    ).fetchone()[0]
                    if found:
                        hits.append(f"{path} {table}: {needle} in {found} rows")
            if path.suffix == ".duckdb":
                connection.execute("detach scanned")
    return hits


# --- the builds ----------------------------------------------------------------------------


def make(target: list[str], root: Path, landing: Path) -> subprocess.CompletedProcess[str]:
    env = dbt_environment(root, landing, STEDI_PSEUDONYM_KEY=KEY)
    return subprocess.run(
        ["make", "-s", *target],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def relation_digest(database: Path, relation: str, setup: list[str] = ()) -> tuple[int, int]:
    """Row count and an order-free checksum of the rows (source_file reduced to its name)."""
    with duckdb.connect(str(database), read_only=True, config=EXTENSIONS) as connection:
        for statement in setup:
            connection.execute(statement)
        columns = [
            column[0]
            for column in connection.execute(f"select * from {relation} limit 0").description
        ]
        selected = ", ".join(
            "regexp_extract(source_file, '[^/]*$') as source_file"
            if column == "source_file"
            else f'"{column}"'
            for column in columns
        )
        return connection.execute(
            f"select count(*), coalesce(sum(hash(row_values)::hugeint), 0) from (select {selected} from {relation}) as row_values"
        ).fetchone()


def published_subject_ids(root: Path) -> set[str]:
    with duckdb.connect(str(root / "stedi.duckdb"), read_only=True) as connection:
        rows = connection.execute(
            "select subject_id from curated.machine_learning_curated"
        ).fetchall()
    return {row[0] for row in rows}


def erasure_proof(
    tmp_path: Path, original: Path, erased_keys: list[str], in_ml: bool, export_again: bool
) -> None:
    """Erase `erased_keys`, build, and look for them; `in_ml`: one of them is in the ML data
    set before; `export_again`: then a later export still holds them (the suppression does
    not depend on the data: one proof of it is enough)."""
    landing = tmp_path / "landing"
    shutil.copytree(original, landing)
    found = customers(original)
    emails = [found[key]["current"]["email"] for key in erased_keys]
    names = [found[key]["current"]["customerName"] for key in erased_keys]
    root = tmp_path / "lakehouse"

    # before: a build holds them, and the scans below find them (they can fail)
    before = make(["run"], root, landing)
    assert before.returncode == 0, before.stdout[-3000:] + before.stderr[-2000:]
    written = [root / "lake", root / "stedi.duckdb", root / "ml.duckdb"]
    assert byte_hits(files_under(root / "stedi.duckdb"), emails), "the scan cannot see a customer"
    assert value_hits(files_under(*written), emails + names)
    erased_subject_ids = {
        hashlib.sha256(f"{KEY}\x1f{key}".encode()).hexdigest() for key in erased_keys
    }
    if in_ml:
        assert published_subject_ids(root) & erased_subject_ids

    for email in emails:
        asked = make(["erase", f"EMAIL={email}"], root, landing)
        assert asked.returncode == 0, asked.stdout + asked.stderr
        assert email not in asked.stdout + asked.stderr
    # a plain dbt build refuses to start while a request is pending
    refused = build(landing, tmp_path / "refused", STEDI_PSEUDONYM_KEY=KEY)
    assert f"{len(emails)} erasure request(s) pending" in refused.result.stdout
    assert not list((tmp_path / "refused").rglob("*.parquet"))

    after = make(["run"], root, landing)
    assert after.returncode == 0, after.stdout[-3000:] + after.stderr[-2000:]
    assert f"{len(emails)} request(s) carried out" in after.stdout

    # zero hits: every file under the landing folder, the lake, the database files,
    # target/ and logs/
    everything = list(files_under(landing, root))
    assert any(path.suffix == ".parquet" for path in everything)
    assert byte_hits(everything, emails + names) == []
    assert value_hits(everything, emails + names) == []

    # the landing files are exactly the reference: other lines byte for byte, gzip stays gzip
    reference = tmp_path / "reference"
    removed = reference_landing(original, reference, set(erased_keys))
    for path in landing_files(original):
        relative = path.relative_to(original)
        now = landing / relative
        if removed[str(relative)]:
            assert lines_of(now) == lines_of(reference / relative), relative
            if path.name.endswith(".gz"):
                assert now.read_bytes()[:2] == b"\x1f\x8b"
        else:
            assert now.read_bytes() == path.read_bytes(), relative

    # the log: one record per request, no personal data, checksums of the rewritten files
    log_text = (landing / "erasure_log" / "erasures.jsonl").read_text()
    assert byte_hits([landing / "erasure_log" / "erasures.jsonl"], emails + names) == []
    records = [json.loads(line) for line in log_text.splitlines()]
    assert sorted(item["kind"] for item in records) == ["request"] * len(emails)
    logged_lines: dict[str, int] = {}
    for item in records:
        assert re.fullmatch(r"[0-9a-f]{64}", item["key_hash"])
        assert item["build_id"] and item["carried_out_at"] and item["requested_at"]
        for file in item["landing_files"]:
            relative = str(Path(file["file"]).relative_to(landing))
            logged_lines[relative] = logged_lines.get(relative, 0) + file["lines_removed"]
            if relative.startswith("erasure_request/"):
                continue
            assert (
                file["sha256_before"]
                == hashlib.sha256((original / relative).read_bytes()).hexdigest()
            )
            assert (
                file["sha256_after"]
                == hashlib.sha256((landing / relative).read_bytes()).hexdigest()
            )
    assert {
        name: count
        for name, count in logged_lines.items()
        if not name.startswith("erasure_request/")
    } == {name: count for name, count in removed.items() if count}
    # their subject ids are in no curated table, and the log's hashes are no subject id
    assert not published_subject_ids(root) & erased_subject_ids
    assert not erased_subject_ids & {item["key_hash"] for item in records}

    # every other customer's rows unchanged: a build of the reference landing data
    expected = build(reference, tmp_path / "reference_build", STEDI_PSEUDONYM_KEY=KEY)
    assert expected.result.returncode == 0, expected.result.stdout[-3000:]
    actual = Build(landing=landing, root=root, policy="strict", result=after)
    for relation in LANDING_RELATIONS + PUBLISHED_RELATIONS:
        assert relation_digest(actual.database, relation) == relation_digest(
            expected.database, relation
        ), relation

    if not export_again:
        return
    # an erased customer does not come back: a later export that still holds them, and
    # holds them again under keys in another capitalisation (the build reads those too)
    for path in sorted((original / "customer").iterdir()):
        shutil.copy(path, landing / "customer" / f"later-{path.name}")
    (landing / "customer" / "later-other-case.json").write_text(
        "".join(
            json.dumps({name[0].upper() + name[1:]: value for name, value in current.items()})
            + "\n"
            for current in (found[key]["current"] for key in erased_keys)
        )
    )
    (landing / "accelerometer" / "later-other-case.json").write_text(
        "".join(
            json.dumps({"User": email, "timestamp": 1655564444103, "x": 0, "y": 0, "z": 0}) + "\n"
            for email in emails
        )
    )
    again = make(["run"], root, landing)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-2000:]
    assert byte_hits(files_under(landing, root), emails + names) == []
    records = [
        json.loads(line)
        for line in (landing / "erasure_log" / "erasures.jsonl").read_text().splitlines()
    ]
    assert sorted(item["kind"] for item in records) == ["request"] * len(emails) + [
        "suppressed_again"
    ] * len(emails)


def test_erasure_of_three_course_customers(tmp_path):
    original = require_course_data(COURSE_V1)
    erasure_proof(tmp_path, original, pick_customers(original), in_ml=False, export_again=True)


def test_erasure_removes_the_readings_of_a_device_its_only_owner_had(tmp_path, generated_landing):
    found = customers(generated_landing)
    owners = device_owners(found)
    key = next(
        key
        for key in sorted(found)
        if found[key]["current"].get("shareWithResearchAsOfDate")
        and found[key]["readings"]
        and owners[found[key]["current"]["serialNumber"]] == {key}
        and has_own_name(found, key)
    )
    # a delivery of two lines the quarantine keeps (no `user`): one holds the e-mail
    # elsewhere, so only the rule for quarantined lines finds it
    original = tmp_path / "original"
    shutil.copytree(generated_landing, original)
    email = found[key]["current"]["email"]
    other = next(other for other in sorted(found) if other != key)
    (original / "accelerometer" / "later.json").write_text(
        json.dumps({"contact": email.upper(), "timestamp": 1655564444103, "x": 0, "y": 0, "z": 0})
        + "\n"
        + json.dumps({"contact": other, "timestamp": 1655564444103, "x": 0, "y": 0, "z": 0})
        + "\n"
    )
    # a later record of theirs the landing checks reject (its device does not change), and a
    # device reading whose serial number is under another capitalisation of its key
    current = found[key]["current"]
    serial = current["serialNumber"]
    (original / "customer" / "later.json").write_text(
        json.dumps(
            current
            | {
                "lastUpdateDate": current["lastUpdateDate"] + 1,
                "serialNumber": "a serial no one has",
                "registrationDate": "not a date",
            }
        )
        + "\n"
    )
    (original / "step_trainer" / "later.json").write_text(
        json.dumps(
            {"sensorReadingTime": 1655564444103, "SerialNumber": serial, "distanceFromObject": 9}
        )
        + "\n"
    )
    reference = reference_landing(original, tmp_path / "check", {key})
    assert any(count for name, count in reference.items() if name.startswith("step_trainer/"))
    assert reference["accelerometer/later.json"] == 1
    assert reference["step_trainer/later.json"] == 1
    erasure_proof(tmp_path, original, [key], in_ml=True, export_again=False)


# --- the s3 target: moto with bucket versioning on ----------------------------------------

# test_s3_glue's moto_server fixture, as `moto_server`
moto_server = test_s3_glue.server


def test_erasure_on_s3_leaves_no_object_version(moto_server, tmp_path):
    """The same erasure on the s3 target, the build running as a user with the project's
    build policy plus the erasure statements: no version of any object in either bucket,
    and no local file, holds the erased customers afterwards."""
    server = moto_server
    original = require_course_data(COURSE_V1)
    erased_keys = pick_customers(original)
    found = customers(original)
    emails = [found[key]["current"]["email"] for key in erased_keys]
    names = [found[key]["current"]["customerName"] for key in erased_keys]
    landing_uri = f"s3://{LANDING_BUCKET}/landing/erasure"
    lake_uri = f"s3://{LAKE_BUCKET}/lake/erasure"
    admin_s3 = server.client("s3")
    with contextlib.suppress(admin_s3.exceptions.BucketAlreadyOwnedByYou):
        admin_s3.create_bucket(Bucket=LANDING_BUCKET)
    for bucket in (LANDING_BUCKET, LAKE_BUCKET):
        admin_s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    # the user holds the build's policy; `make iam-policy ROLE=erasure` adds what is missing
    printed = subprocess.run(
        [sys.executable, "-m", "stedi.aws", "policy", "--role", "erasure"]
        + ["--landing", landing_uri, "--lake", lake_uri],
        capture_output=True,
        text=True,
        check=True,
    )
    statements = json.loads(printed.stdout)["Statement"]
    databases = [aws.DEFAULT_GLUE_DATABASE, aws.DEFAULT_GLUE_DATABASE_ML]
    build_policy = aws.iam_policy(landing_uri, lake_uri, databases)
    assert all(statement in statements for statement in build_policy["Statement"])
    server.client("iam").put_user_policy(
        UserName="stedi-build", PolicyName="stedi-erasure", PolicyDocument=printed.stdout
    )
    upload(server, original, landing_uri)
    root = tmp_path / "lakehouse"
    extra = {**server.env(server.builder), "STEDI_LAKE": lake_uri}

    def run(target: list[str]) -> subprocess.CompletedProcess[str]:
        env = dbt_environment(root, landing_uri, STEDI_PSEUDONYM_KEY=KEY, **extra)
        return subprocess.run(
            ["make", "-s", *target, "TARGET=s3"],
            cwd=PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )

    def versions() -> list[tuple[str, bytes]]:
        blobs = []
        for bucket, prefix in (
            (LANDING_BUCKET, "landing/erasure/"),
            (LAKE_BUCKET, "lake/erasure/"),
        ):
            pages = admin_s3.get_paginator("list_object_versions").paginate(
                Bucket=bucket, Prefix=prefix
            )
            for page in pages:
                for item in page.get("Versions", []):
                    body = admin_s3.get_object(
                        Bucket=bucket, Key=item["Key"], VersionId=item["VersionId"]
                    )
                    blobs.append(
                        (f"s3://{bucket}/{item['Key']}?{item['VersionId']}", body["Body"].read())
                    )
        return blobs

    def parquet_versions(blobs: list[tuple[str, bytes]], folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for index, (name, data) in enumerate(blobs):
            if name.split("?")[0].endswith(".parquet"):
                paths.append(folder / f"{index}.parquet")
                paths[-1].write_bytes(data)
        return paths

    before = run(["run"])
    assert before.returncode == 0, before.stdout[-3000:] + before.stderr[-2000:]
    blobs = versions()
    assert blob_hits(blobs, emails)
    assert value_hits(parquet_versions(blobs, tmp_path / "before"), emails + names)

    for email in emails:
        asked = run(["erase", f"EMAIL={email}"])
        assert asked.returncode == 0, asked.stdout + asked.stderr
    after = run(["run"])
    assert after.returncode == 0, after.stdout[-3000:] + after.stderr[-2000:]
    assert f"{len(emails)} request(s) carried out" in after.stdout

    blobs = versions()
    assert blob_hits(blobs, emails + names) == []
    assert value_hits(parquet_versions(blobs, tmp_path / "after"), emails + names) == []
    assert byte_hits(files_under(root), emails + names) == []
    assert value_hits(files_under(root), emails + names) == []
    glue = json.dumps(
        [
            server.client("glue").get_tables(DatabaseName=name["Name"])
            for name in server.client("glue").get_databases()["DatabaseList"]
        ],
        default=str,
    )
    assert blob_hits([("glue", glue.encode())], emails + names) == []
    # the build wrote each lake object once; each rewritten landing object has one version
    keys = [name.split("?")[0] for name, _ in blobs]
    assert len(keys) == len(set(keys))

    # every other customer's rows unchanged
    reference = tmp_path / "reference"
    reference_landing(original, reference, set(erased_keys))
    expected = build(reference, tmp_path / "reference_build", STEDI_PSEUDONYM_KEY=KEY)
    assert expected.result.returncode == 0, expected.result.stdout[-3000:]
    saved = dict(os.environ)
    os.environ.update(server.env(server.admin))
    try:
        secret = aws.duckdb_secret_sql()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    for relation in LANDING_RELATIONS + PUBLISHED_RELATIONS:
        actual = relation_digest(root / "stedi.duckdb", relation, ["load httpfs", secret])
        assert actual == relation_digest(expected.database, relation), relation


def test_an_invalid_request_is_quarantined_and_a_bad_address_refused(tmp_path, generated_landing):
    landing = tmp_path / "landing"
    shutil.copytree(generated_landing, landing)
    asked = make(["erase", "EMAIL=not an address"], tmp_path, landing)
    assert asked.returncode != 0
    assert "EMAIL must be one e-mail address" in asked.stderr
    assert "Traceback" not in asked.stdout + asked.stderr
    assert not (landing / "erasure_request").exists()
    (landing / "erasure_request").mkdir()
    (landing / "erasure_request" / "website.json").write_text('{"email": "x@example.com"}\n')
    built = build(landing, tmp_path / "lakehouse", STEDI_PSEUDONYM_KEY=KEY)
    assert built.result.returncode == 0, built.result.stdout[-3000:]
    assert built.query(
        "select rejection_reason, rejected_field from landing.rejected_records"
        " where source_name = 'erasure_request'"
    ) == [("missing_required_field", "requestedAt")]
    assert built.query("select count(*) from landing.erasure_request_landing") == [(0,)]


# --- Spark: it erases nothing, so it never builds while an erasure is owed ------------------


@pytest.mark.xdist_group("spark")  # the Spark tests share one worker
def test_spark_never_builds_while_an_erasure_is_pending_or_undone(
    tmp_path, generated_landing, spark_cluster
):
    """On the session's cluster: both Spark targets run the same checks (spark__ macros),
    and the cluster's Thrift server is already up where local Spark starts a JVM."""
    landing = tmp_path / "landing"
    shutil.copytree(generated_landing, landing)
    found = customers(landing)
    erased, pending = sorted(found)[:2]
    erased_record = next(
        line
        for path in sorted((landing / "customer").iterdir())
        for line in lines_of(path)
        if key_of(field(record(line), "email")) == erased
    )

    # one customer erased on DuckDB, whom a later export brings back (found by the keyed
    # hash of the log, computed by Spark as DuckDB computed it); another one's request
    erase_on_duckdb(found[erased]["current"]["email"], landing, tmp_path / "duckdb", KEY)
    (landing / "customer" / "later.json").write_bytes(erased_record)
    asked = make(["erase", f"EMAIL={found[pending]['current']['email']}"], tmp_path, landing)
    assert asked.returncode == 0, asked.stdout + asked.stderr

    # Spark erases nothing: it builds nothing, and says so in one line
    refused = run_dbt(
        ["build"], tmp_path / "spark", landing, STEDI_PSEUDONYM_KEY=KEY, **spark_cluster.env()
    )
    assert refused.returncode != 0
    [said] = [line for line in refused.stdout.splitlines() if "Nothing was built" in line]
    assert "1 erasure request(s) pending" in said
    assert "1 erased customer(s) back in" in said
    assert "`make run` on a DuckDB target" in said
    assert "Traceback" not in refused.stdout + refused.stderr
    assert not list((tmp_path / "spark").rglob("*.parquet"))
    # (after `make run` on DuckDB, Spark builds: the cluster's parity builds run beside an
    # erasure log, test_spark_parity.bad_generated_landing)
