"""Right to erasure: the file work that SQL cannot do (docs/erasure.md).

Who is erased and which landing lines are theirs is decided in SQL
(macros/erasure/erasure.sql, `dbt run-operation erase_customers`); the functions here
are DuckDB functions the plugin registers for it, plus the command behind `make erase`:

- `stedi_erase_landing_lines(file, lines)` rewrites one landing file without the given
  lines (JSON list of their texts): every other line byte for byte, line endings kept,
  `.json.gz` staying gzip; written to a temporary file (or a new S3 object) and renamed
  over the old one, then on S3 every older version of the object is deleted.
- `stedi_append_erasure_log(file, records)` appends the log records (JSON list).
- `stedi_discard_derived_data(payload, database)` deletes the lake (every object version
  on S3) and the data scientists' files, and marks the database file to be rewritten.
- `compact_if_marked(database)` (the plugin calls it before DuckDB opens the database):
  copies a marked database into a fresh file and renames it over the old one, so no free
  block keeps a deleted row's bytes.

Command line:
  python -m stedi.erasure request EMAIL    (writes one request into $STEDI_LANDING/erasure_request/)
  python -m stedi.erasure policy s3://LANDING s3://LAKE
                                  (the IAM statements erasure adds to the build's policy)
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import secrets
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
from botocore.exceptions import ClientError

from stedi import aws

LINE_END = re.compile(rb"(\r\n|\r|\n)")
COMPACT_MARKER = ".erased"
EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


# --- object and file access, local or S3 ------------------------------------------------


def read_bytes(path: str) -> bytes:
    if aws.is_s3(path):
        location = aws.S3Location.parse(path)
        return (
            aws.client("s3").get_object(Bucket=location.bucket, Key=location.prefix)["Body"].read()
        )
    return Path(path).read_bytes()


def delete_older_versions(s3: Any, bucket: str, key: str) -> int:
    """Delete every version of `key` but the current one (and any delete marker)."""
    stale = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
        for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
            if item["Key"] == key and not item.get("IsLatest"):
                stale.append({"Key": key, "VersionId": item["VersionId"]})
    # one call per version: DeleteObjects reports a denied key in its answer, not as an error
    for version in stale:
        s3.delete_object(Bucket=bucket, **version)
    return len(stale)


def write_bytes(path: str, data: bytes) -> None:
    """Replace a file whole: a temporary file renamed over it, or a new S3 object version
    after which the older versions are deleted (a versioned bucket keeps them otherwise)."""
    if aws.is_s3(path):
        location = aws.S3Location.parse(path)
        s3 = aws.client("s3")
        s3.put_object(Bucket=location.bucket, Key=location.prefix, Body=data)
        delete_older_versions(s3, location.bucket, location.prefix)
        return
    target = Path(path)
    # no "json" in the name: the landing glob (*.json*) must never read a half-written file
    temporary = target.with_name(f".erasing-{os.getpid()}-{secrets.token_hex(4)}.tmp")
    temporary.write_bytes(data)
    shutil.copymode(target, temporary)
    os.replace(temporary, target)


# --- the DuckDB functions ----------------------------------------------------------------


def without_lines(text: bytes, remove: dict[str, str]) -> tuple[bytes, int, dict[str, int]]:
    """The bytes without the lines whose text is a key of `remove` (each with its line
    ending); returns (bytes, lines before, lines removed per value of `remove`)."""
    pieces = LINE_END.split(text)
    kept: list[bytes] = []
    lines = 0
    removed: dict[str, int] = {}
    for index in range(0, len(pieces), 2):
        line = pieces[index]
        ending = pieces[index + 1] if index + 1 < len(pieces) else b""
        if not line and not ending:
            continue  # after the last line ending
        lines += 1
        try:
            decoded = line.decode("utf-8")
        except UnicodeDecodeError:
            decoded = None  # unreadable lines are never a match
        owner = (
            None if decoded is None else remove.get(decoded, remove.get(decoded.lstrip("\ufeff")))
        )
        if owner is not None:
            removed[owner] = removed.get(owner, 0) + 1
            continue
        kept.append(line + ending)
    return b"".join(kept), lines, removed


def erase_landing_lines(path: str, lines_json: str) -> str:
    """`lines_json`: [{key_hash, line}]; each removed line is counted for its key_hash."""
    remove: dict[str, str] = {}
    for item in json.loads(lines_json):
        if item["line"]:
            remove.setdefault(item["line"], item["key_hash"])
    original = read_bytes(path)
    compressed = path.endswith(".gz")
    text = gzip.decompress(original) if compressed else original
    kept, lines, removed = without_lines(text, remove)
    rewritten = original
    if removed:
        rewritten = gzip.compress(kept, mtime=0) if compressed else kept
        write_bytes(path, rewritten)
    return json.dumps(
        {
            "lines_before": lines,
            "lines_removed": sum(removed.values()),
            "removed_per_key": removed,
            "sha256_before": hashlib.sha256(original).hexdigest(),
            "sha256_after": hashlib.sha256(rewritten).hexdigest(),
        }
    )


def append_erasure_log(path: str, records_json: str) -> str:
    records = json.loads(records_json)
    lines = "".join(
        json.dumps(json.loads(record) if isinstance(record, str) else record) + "\n"
        for record in records
    )
    if aws.is_s3(path):
        try:
            before = read_bytes(path)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in ("NoSuchKey", "404"):
                raise
            before = b""
        write_bytes(path, before + lines.encode())
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as log:
            log.write(lines)
    return f"{len(records)} logged"


def delete_everything_under(uri: str) -> int:
    """Every file under a local folder (its build lock aside), or every object version
    under an S3 prefix."""
    if aws.is_s3(uri):
        location = aws.S3Location.parse(uri)
        s3 = aws.client("s3")
        prefix = location.prefix.rstrip("/") + "/" if location.prefix else ""
        versions = [
            {"Key": item["Key"], "VersionId": item["VersionId"]}
            for page in s3.get_paginator("list_object_versions").paginate(
                Bucket=location.bucket, Prefix=prefix
            )
            for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        for version in versions:
            s3.delete_object(Bucket=location.bucket, **version)
        return len(versions)
    folder = Path(uri)
    if not folder.is_dir():
        return 0
    deleted = 0
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_file() and path.name != ".build-lock":
            path.unlink()
            deleted += 1
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return deleted


def discard_derived_data(payload_json: str, database: str) -> str:
    payload = json.loads(payload_json)
    deleted = delete_everything_under(payload["lake"])
    for file in payload["files"]:
        for path in (file, file + ".wal", file + ".tmp"):
            if not aws.is_s3(path):
                Path(path).unlink(missing_ok=True)
    if database and "://" not in database:
        Path(database + COMPACT_MARKER).touch()
    return f"{deleted} lake objects deleted"


def duckdb_functions() -> list[tuple[str, Any, list[str]]]:
    """(name, function, parameter types) for the plugin to register."""
    return [
        ("stedi_erase_landing_lines", erase_landing_lines, ["VARCHAR", "VARCHAR"]),
        ("stedi_append_erasure_log", append_erasure_log, ["VARCHAR", "VARCHAR"]),
        ("stedi_discard_derived_data", discard_derived_data, ["VARCHAR", "VARCHAR"]),
    ]


# --- the database file ------------------------------------------------------------------


def compact_if_marked(database: str) -> bool:
    """Rewrite a database an erasure marked: copied into a fresh file, renamed over it."""
    marker = Path(database + COMPACT_MARKER)
    if not marker.exists():
        return False
    if Path(database).exists():
        fresh = database + ".compacting"
        for leftover in (fresh, fresh + ".wal"):
            Path(leftover).unlink(missing_ok=True)
        with duckdb.connect() as connection:
            connection.execute(f"attach {aws.sql_literal(database)} as erased_old (read_only)")
            connection.execute(f"attach {aws.sql_literal(fresh)} as erased_new")
            connection.execute("copy from database erased_old to erased_new")
            connection.execute("detach erased_old")
            connection.execute("detach erased_new")
        os.replace(fresh, database)
        Path(database + ".wal").unlink(missing_ok=True)
    marker.unlink()
    return True


def iam_statements(landing: str, lake: str) -> list[dict[str, Any]]:
    """What `erase_customers` needs on S3 beyond the build's policy (stedi.aws.iam_policy):
    write landing objects (requests, rewritten files, the log) and delete object versions
    in the landing and lake prefixes."""
    statements: list[dict[str, Any]] = []
    for sid, uri, actions in (
        ("EraseLanding", landing, ["s3:PutObject", "s3:DeleteObjectVersion"]),
        ("EraseLake", lake, ["s3:DeleteObjectVersion"]),
    ):
        location = aws.S3Location.parse(uri)
        statements += [
            {
                "Sid": f"{sid}Versions",
                "Effect": "Allow",
                "Action": "s3:ListBucketVersions",
                "Resource": f"arn:aws:s3:::{location.bucket}",
                "Condition": {"StringLike": {"s3:prefix": [location.key("*"), location.prefix]}},
            },
            {
                "Sid": sid,
                "Effect": "Allow",
                "Action": actions,
                "Resource": f"arn:aws:s3:::{location.bucket}/{location.key('*')}",
            },
        ]
    return statements


# --- make erase -------------------------------------------------------------------------


def write_request(email: str, landing: str) -> str:
    email = email.strip()
    if not EMAIL.fullmatch(email):
        raise ValueError("EMAIL must be one e-mail address, such as EMAIL=someone@example.com")
    now_ms = int(time.time() * 1000)
    line = json.dumps({"email": email, "requestedAt": now_ms}) + "\n"
    path = f"{landing.rstrip('/')}/erasure_request/request-{now_ms}-{secrets.token_hex(4)}.json"
    if aws.is_s3(path):
        location = aws.S3Location.parse(path)
        aws.client("s3").put_object(Bucket=location.bucket, Key=location.prefix, Body=line.encode())
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(line, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 3 and args[0] == "policy":
        try:
            print(json.dumps(iam_statements(args[1], args[2]), indent=2))
        except aws.AwsSetupError as error:
            print(f"No policy: {error}", file=sys.stderr)
            return 2
        return 0
    if len(args) != 2 or args[0] != "request":
        print(
            "usage: python -m stedi.erasure request EMAIL | policy s3://LANDING s3://LAKE",
            file=sys.stderr,
        )
        return 2
    landing = os.environ.get("STEDI_LANDING", "data/landing")
    try:
        path = write_request(args[1], landing)
    except (ValueError, OSError) as error:
        print(f"Erasure request not written: {error}", file=sys.stderr)
        return 2
    # the file name only: the e-mail is personal data and stays out of terminals and logs
    print(f"Erasure request written to {path}; the next `make run` carries it out.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
