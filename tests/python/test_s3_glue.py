"""The S3 target against a real S3 + Glue API server on loopback (moto_server, with IAM).

moto_server runs with authentication on: an admin user sets things up, and every build
runs as a user holding only the project's least-privilege policy (stedi.aws.iam_policy),
so a green build also proves that policy is enough.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import duckdb
import pytest
from botocore.exceptions import ClientError
from conftest import (
    BIN_DIR,
    COURSE_V2,
    LANDING_RELATIONS,
    PROJECT_DIR,
    PUBLISHED_RELATIONS,
    Build,
    assert_succeeded,
    build,
    require_course_data,
    run_dbt,
)

from stedi import aws

ACCOUNT, REGION = "123456789012", "us-east-1"
LANDING_BUCKET, LAKE_BUCKET = "stedi-landing", "stedi-lake"
RELATIONS = LANDING_RELATIONS + PUBLISHED_RELATIONS


@dataclass
class AwsServer:
    endpoint: str
    admin: dict[str, str]
    builder: dict[str, str]

    def env(self, credentials: dict[str, str]) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        }

    def client(self, service: str, credentials: dict[str, str] | None = None):
        credentials = credentials or self.admin
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Iterator[AwsServer]:
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="3")
    process = subprocess.Popen(
        [str(BIN_DIR / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        bootstrap = {"AccessKeyId": "bootstrap", "SecretAccessKey": "bootstrap"}
        iam = AwsServer(endpoint, bootstrap, bootstrap).client("iam")
        # the first three calls need no authentication: create an administrator
        iam.create_user(UserName="admin")
        admin_policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
        iam.put_user_policy(
            UserName="admin", PolicyName="admin", PolicyDocument=json.dumps(admin_policy)
        )
        admin = iam.create_access_key(UserName="admin")["AccessKey"]
        # the build runs as a user with only the project's policy
        iam = AwsServer(endpoint, admin, admin).client("iam")
        iam.create_user(UserName="stedi-build")
        policy = aws.iam_policy(
            f"s3://{LANDING_BUCKET}/landing",
            f"s3://{LAKE_BUCKET}/lake",
            ["stedi_*"],
            ACCOUNT,
            REGION,
        )
        # moto authorises Glue calls by action only (a resource other than "*" is always
        # denied), so the Glue statement's resources are widened here; the S3 statements are
        # enforced by moto exactly as written
        for statement in policy["Statement"]:
            if statement["Sid"] == "ManageGlueTables":
                statement["Resource"] = "*"
        iam.put_user_policy(
            UserName="stedi-build", PolicyName="stedi", PolicyDocument=json.dumps(policy)
        )
        builder = iam.create_access_key(UserName="stedi-build")["AccessKey"]
        aws_server = AwsServer(endpoint, admin, builder)
        aws_server.client("s3").create_bucket(Bucket=LAKE_BUCKET)
        yield aws_server
    finally:
        process.terminate()
        process.wait(timeout=30)


def upload(server: AwsServer, local: Path, uri: str) -> None:
    result = subprocess.run(
        [str(BIN_DIR / "python"), "-m", "stedi.aws", "upload", str(local), uri],
        env={**os.environ, **server.env(server.admin)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "Uploaded" in result.stdout


def s3_build(
    server: AwsServer, landing_uri: str, lake_uri: str, root: Path, policy: str, **env: str
) -> Build:
    extra = {
        **server.env(server.builder),
        "STEDI_TARGET": "s3",
        "STEDI_PSEUDONYM_KEY": "s3 test key",
        **env,
    }
    result = build(landing_uri, root, policy, STEDI_LAKE=lake_uri, **extra)
    return result


def lake_keys(server: AwsServer, prefix: str) -> list[str]:
    s3 = server.client("s3")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=LAKE_BUCKET, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def s3_parquet_count(server: AwsServer, uri: str) -> int:
    """Read a published Parquet file back from S3, outside dbt."""
    return s3_parquet_query(server, "select count(*) from read_parquet(?)", uri)[0][0]


def s3_parquet_query(server: AwsServer, sql: str, uri: str) -> list[tuple]:
    """Run `sql` with `uri` as its parameter, on a DuckDB connection that reads S3."""
    saved = dict(os.environ)
    os.environ.update(server.env(server.admin))
    try:
        secret = aws.duckdb_secret_sql()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    config = {
        "extension_directory": str(PROJECT_DIR / ".venv" / "duckdb_extensions"),
        "autoinstall_known_extensions": False,
    }
    with duckdb.connect(config=config) as connection:
        connection.execute("load httpfs")
        connection.execute(secret)
        return connection.execute(sql, [uri]).fetchall()


@pytest.fixture(scope="module")
def datasets(server, generated_landing) -> dict[str, tuple[Path, str]]:
    found = {"generated": (generated_landing, f"s3://{LANDING_BUCKET}/landing/generated")}
    if COURSE_V2.is_dir():
        found["course-v2"] = (COURSE_V2, f"s3://{LANDING_BUCKET}/landing/course-v2")
    for local, uri in found.values():
        upload(server, local, uri)
    return found


# rubric differs from strict only in the rule macros and its published names: one data set
@pytest.mark.parametrize(
    ("name", "policy"), [("generated", "strict"), ("generated", "rubric"), ("course-v2", "strict")]
)
def test_s3_build_gives_the_local_counts_publishes_parquet_and_registers_glue(
    server, datasets, built, name, policy, tmp_path
):
    if name not in datasets:
        require_course_data(COURSE_V2)
    local_landing, landing_uri = datasets[name]
    lake_prefix = f"lake/{name}-{policy}"
    lake_uri = f"s3://{LAKE_BUCKET}/{lake_prefix}"
    glue_database = f"stedi_{name.replace('-', '_')}_{policy}"
    ml_database = f"{glue_database}_ml"
    result = s3_build(
        server,
        landing_uri,
        lake_uri,
        tmp_path,
        policy,
        STEDI_GLUE_DATABASE=glue_database,
        STEDI_GLUE_DATABASE_ML=ml_database,
    )
    # a policy other than strict publishes under its own prefix and Glue database
    published_uri = lake_uri if policy == "strict" else f"{lake_uri}/{policy}"
    published_prefix = published_uri.removeprefix(f"s3://{LAKE_BUCKET}/")
    suffix = "" if policy == "strict" else f"_{policy}"
    published_database = f"{glue_database}{suffix}"
    assert_succeeded(result)

    local = built(name, local_landing, policy)
    assert {r: result.count(r) for r in RELATIONS} == {r: local.count(r) for r in RELATIONS}

    # exactly one Parquet object per published table, each under its own prefix
    expected_keys = sorted(
        f"{published_prefix}/{zone}/{table}/{table}.parquet"
        for zone, table in (r.split(".") for r in PUBLISHED_RELATIONS)
    )
    assert lake_keys(server, lake_prefix + "/") == expected_keys
    for relation in PUBLISHED_RELATIONS:
        zone, table = relation.split(".")
        assert s3_parquet_count(
            server, f"{published_uri}/{zone}/{table}/{table}.parquet"
        ) == local.count(relation)

    glue = server.client("glue")

    def glue_tables(database: str) -> dict[str, dict]:
        return {t["Name"]: t for t in glue.get_tables(DatabaseName=database)["TableList"]}

    # the data scientists' table alone in its own database
    assert sorted(glue_tables(f"{ml_database}{suffix}")) == ["machine_learning_curated"]
    tables = glue_tables(published_database)
    landing_names = ["customer_landing", "accelerometer_landing", "step_trainer_landing"]
    published_names = [
        r.split(".")[1] for r in PUBLISHED_RELATIONS if r != "curated.machine_learning_curated"
    ]
    tables.update(glue_tables(f"{ml_database}{suffix}"))
    if policy == "strict":
        assert sorted(tables) == sorted(
            [*published_names, "machine_learning_curated"] + landing_names
        )
    else:
        assert sorted(tables) == sorted([*published_names, "machine_learning_curated"])
        assert sorted(glue_tables(glue_database)) == sorted(landing_names)
        tables.update(glue_tables(glue_database))
    for relation in PUBLISHED_RELATIONS:
        parameters = tables[relation.split(".")[1]]["Parameters"]
        assert parameters["stedi_consent_policy"] == policy
        assert parameters["stedi_build_id"]
    for relation in PUBLISHED_RELATIONS:
        zone, table = relation.split(".")
        descriptor = tables[table]["StorageDescriptor"]
        assert descriptor["Location"] == f"{published_uri}/{zone}/{table}/"
        assert tables[table]["Parameters"]["classification"] == "parquet"
        assert descriptor["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
        columns = result.query(
            f"select column_name, data_type from information_schema.columns"
            f" where table_schema = '{result.published(relation).split('.')[0]}'"
            f" and table_name = '{table}' order by ordinal_position"
        )
        hive = {
            "VARCHAR": "string",
            "BIGINT": "bigint",
            "DOUBLE": "double",
            "TIMESTAMP": "timestamp",
        }
        assert [(c["Name"], c["Type"]) for c in descriptor["Columns"]] == [
            (n, hive[t]) for n, t in columns
        ]
    assert any(
        c.get("Comment") for c in tables["machine_learning_curated"]["StorageDescriptor"]["Columns"]
    )
    landing_table = tables["accelerometer_landing"]
    assert landing_table["StorageDescriptor"]["Location"] == f"{landing_uri}/accelerometer/"
    assert landing_table["Parameters"]["classification"] == "json"
    assert [c["Name"] for c in landing_table["StorageDescriptor"]["Columns"]] == [
        "user",
        "timestamp",
        "x",
        "y",
        "z",
    ]


def test_rebuild_leaves_nothing_stale_and_bad_access_changes_nothing(server, datasets, tmp_path):
    _, landing_uri = datasets["generated"]
    lake_prefix = "lake/rebuild"
    lake_uri = f"s3://{LAKE_BUCKET}/{lake_prefix}"
    glue = {"STEDI_GLUE_DATABASE": "stedi_rebuild"}
    assert_succeeded(s3_build(server, landing_uri, lake_uri, tmp_path / "one", "strict", **glue))
    published = lake_keys(server, lake_prefix + "/")
    stale = f"{lake_prefix}/trusted/customer_trusted/part-from-an-old-run.parquet"
    server.client("s3").put_object(Bucket=LAKE_BUCKET, Key=stale, Body=b"old")
    assert_succeeded(s3_build(server, landing_uri, lake_uri, tmp_path / "one", "strict", **glue))
    assert lake_keys(server, lake_prefix + "/") == published

    def etags() -> dict[str, str]:
        s3 = server.client("s3")
        return {key: s3.head_object(Bucket=LAKE_BUCKET, Key=key)["ETag"] for key in published}

    before = etags()
    wrong = s3_build(
        server,
        landing_uri,
        lake_uri,
        tmp_path / "two",
        "strict",
        AWS_ACCESS_KEY_ID="AKIAWRONGWRONGWRONG1",
        AWS_SECRET_ACCESS_KEY="wrong",
    )
    output = wrong.result.stdout + wrong.result.stderr
    assert wrong.result.returncode != 0
    assert f"Access to bucket '{LANDING_BUCKET}'" in output and "was refused" in output
    assert "Traceback" not in output

    # a user allowed to see buckets is told that the bucket does not exist
    missing = s3_build(
        server,
        landing_uri,
        "s3://no-such-bucket/lake",
        tmp_path / "three",
        "strict",
        AWS_ACCESS_KEY_ID=server.admin["AccessKeyId"],
        AWS_SECRET_ACCESS_KEY=server.admin["SecretAccessKey"],
    )
    output = missing.result.stdout + missing.result.stderr
    assert missing.result.returncode != 0
    assert "Bucket 'no-such-bucket' of s3://no-such-bucket/lake does not exist." in output
    assert "Traceback" not in output
    assert etags() == before

    # without a configured pseudonym key the s3 target publishes nothing
    keyless = s3_build(
        server, landing_uri, lake_uri, tmp_path / "four", "strict", STEDI_PSEUDONYM_KEY=""
    )
    output = keyless.result.stdout + keyless.result.stderr
    assert keyless.result.returncode != 0
    assert "The s3 target publishes only with a configured STEDI_PSEUDONYM_KEY" in output
    assert "Traceback" not in output
    assert etags() == before


def test_the_build_policy_grants_no_more_than_it_needs(server):
    # every target exists (made as admin), so only a denial can make these calls fail
    admin_s3 = server.client("s3", server.admin)
    for bucket in (LANDING_BUCKET, LAKE_BUCKET):
        with contextlib.suppress(admin_s3.exceptions.BucketAlreadyOwnedByYou):
            admin_s3.create_bucket(Bucket=bucket)
    admin_glue = server.client("glue", server.admin)
    with contextlib.suppress(admin_glue.exceptions.AlreadyExistsException):
        admin_glue.create_database(DatabaseInput={"Name": "stedi_policy_probe"})

    s3 = server.client("s3", server.builder)
    glue = server.client("glue", server.builder)
    denied_calls = [
        lambda: s3.put_object(
            Bucket=LANDING_BUCKET, Key="landing/generated/customer/evil.json", Body=b"{}"
        ),
        lambda: s3.put_object(Bucket=LAKE_BUCKET, Key="elsewhere/file", Body=b"x"),
        lambda: glue.delete_database(Name="stedi_policy_probe"),
    ]
    for call in denied_calls:
        with pytest.raises(ClientError) as denied:
            call()
        # S3 answers a denied PutObject with a bare HTTP 403, whose code botocore reports as "403"
        assert denied.value.response["Error"]["Code"] in (
            "AccessDenied",
            "AccessDeniedException",
            "403",
        )


def test_data_scientists_read_the_machine_learning_table_and_nothing_else(
    server, datasets, tmp_path
):
    _, landing_uri = datasets["generated"]
    lake_uri = f"s3://{LAKE_BUCKET}/lake/handover"
    ml_database = "stedi_handover_ml"
    assert_succeeded(
        s3_build(
            server,
            landing_uri,
            lake_uri,
            tmp_path,
            "strict",
            STEDI_GLUE_DATABASE="stedi_handover",
            STEDI_GLUE_DATABASE_ML=ml_database,
        )
    )
    iam = server.client("iam", server.admin)
    iam.create_user(UserName="data-scientist")
    policy = aws.data_scientist_policy(lake_uri, ml_database, ACCOUNT, REGION)
    for statement in policy["Statement"]:  # moto: Glue by action only, as for the builder
        if statement["Sid"] == "ReadMachineLearningTable":
            statement["Resource"] = "*"
    iam.put_user_policy(
        UserName="data-scientist", PolicyName="stedi-ml", PolicyDocument=json.dumps(policy)
    )
    scientist = iam.create_access_key(UserName="data-scientist")["AccessKey"]
    s3 = server.client("s3", scientist)
    glue = server.client("glue", scientist)

    handover = "lake/handover/curated/machine_learning_curated/machine_learning_curated.parquet"
    assert s3.get_object(Bucket=LAKE_BUCKET, Key=handover)["Body"].read()[:4] == b"PAR1"
    listed = s3.list_objects_v2(
        Bucket=LAKE_BUCKET, Prefix="lake/handover/curated/machine_learning_curated/"
    )
    assert [item["Key"] for item in listed["Contents"]] == [handover]
    assert glue.get_table(DatabaseName=ml_database, Name="machine_learning_curated")
    # (moto does not evaluate the s3:prefix condition of ListBucket, so listing another
    # prefix cannot be shown denied here; reading any object outside the prefix can)
    denied_calls = [
        lambda: s3.get_object(
            Bucket=LAKE_BUCKET,
            Key="lake/handover/curated/customer_curated/customer_curated.parquet",
        ),
        lambda: s3.put_object(Bucket=LAKE_BUCKET, Key=handover, Body=b"x"),
        lambda: s3.get_object(Bucket=LANDING_BUCKET, Key="landing/generated/customer/x.json"),
        lambda: glue.delete_table(DatabaseName=ml_database, Name="machine_learning_curated"),
    ]
    for number, call in enumerate(denied_calls):
        with pytest.raises(ClientError) as denied:
            call()
            pytest.fail(f"call {number} was allowed")
        assert denied.value.response["Error"]["Code"] in (
            "AccessDenied",
            "AccessDeniedException",
            "403",
        )


def test_everyday_commands_leave_one_build_in_the_lake_and_in_glue(server, datasets, tmp_path):
    """After each command, every Parquet object and Glue table names the same build."""
    _, landing_uri = datasets["generated"]
    lake_uri = f"s3://{LAKE_BUCKET}/lake/everyday"
    env = {"STEDI_GLUE_DATABASE": "stedi_everyday", "STEDI_GLUE_DATABASE_ML": "stedi_everyday_ml"}
    glue = server.client("glue")

    def published_builds() -> set[str]:
        ids = set()
        for relation in PUBLISHED_RELATIONS:
            zone, table = relation.split(".")
            metadata = dict(
                s3_parquet_query(
                    server,
                    "select decode(key), decode(value) from parquet_kv_metadata(?)",
                    f"{lake_uri}/{zone}/{table}/{table}.parquet",
                )
            )
            ids.add(metadata["stedi_build_id"])
            database = env[
                "STEDI_GLUE_DATABASE_ML"
                if table == "machine_learning_curated"
                else "STEDI_GLUE_DATABASE"
            ]
            ids.add(
                glue.get_table(DatabaseName=database, Name=table)["Table"]["Parameters"][
                    "stedi_build_id"
                ]
            )
        return ids

    root = tmp_path / "lakehouse"
    assert_succeeded(s3_build(server, landing_uri, lake_uri, root, "strict", **env))
    [first] = published_builds()
    extra = {
        **server.env(server.builder),
        "STEDI_TARGET": "s3",
        "STEDI_PSEUDONYM_KEY": "s3 test key",
        **env,
    }
    ran = run_dbt(["run"], root, landing_uri, STEDI_LAKE=lake_uri, **extra)
    assert ran.returncode == 0 and "Not published:" in ran.stdout, ran.stdout[-3000:]
    assert published_builds() == {first}
    selected = run_dbt(
        ["build", "--select", "machine_learning_curated"],
        root,
        landing_uri,
        STEDI_LAKE=lake_uri,
        **extra,
    )
    assert selected.returncode == 0 and "Not published:" in selected.stdout
    assert published_builds() == {first}
    assert_succeeded(s3_build(server, landing_uri, lake_uri, root, "strict", **env))
    [second] = published_builds()
    assert second != first
