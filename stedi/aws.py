"""The project's AWS parts: credentials for DuckDB, Glue registration, uploads, the IAM policy.

Credentials come only from the standard AWS chain that boto3 resolves (environment,
shared profile, instance or container role). `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_S3`,
`AWS_ENDPOINT_URL_GLUE`) points boto3 and DuckDB at an S3-compatible endpoint instead.

Command line:
  python -m stedi.aws upload LOCAL_FOLDER s3://bucket/prefix     (creates the bucket if missing)
  python -m stedi.aws policy --landing s3://… --lake s3://… [--glue-database stedi]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

GLUE_DATABASE_ENV = "STEDI_GLUE_DATABASE"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
DEFAULT_GLUE_DATABASE = "stedi"
# machine_learning_curated: its own Glue database, so it can be shared alone
GLUE_DATABASE_ML_ENV = "STEDI_GLUE_DATABASE_ML"
DEFAULT_GLUE_DATABASE_ML = "stedi_ml"
MACHINE_LEARNING_PREFIX = "curated/machine_learning_curated"
HIVE_TYPES = {
    "VARCHAR": "string",
    "BIGINT": "bigint",
    "INTEGER": "int",
    "DOUBLE": "double",
    "FLOAT": "float",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
}


class AwsSetupError(Exception):
    """A problem a user can fix (credentials, bucket, endpoint), with a one-line message."""


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str

    @classmethod
    def parse(cls, uri: str) -> S3Location:
        parsed = urlparse(uri)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise AwsSetupError(f"not an s3:// URI: {uri!r}")
        return cls(parsed.netloc, parsed.path.strip("/"))

    def key(self, *parts: str) -> str:
        return "/".join(part.strip("/") for part in (self.prefix, *parts) if part)


def is_s3(uri: str) -> bool:
    return uri.startswith("s3://")


def endpoint_url(service: str) -> str | None:
    return os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}") or os.environ.get(
        "AWS_ENDPOINT_URL"
    )


def session() -> boto3.Session:
    return boto3.Session()


def region(aws: boto3.Session | None = None) -> str:
    return (aws or session()).region_name or os.environ.get("AWS_REGION") or "us-east-1"


def client(service: str, aws: boto3.Session | None = None) -> Any:
    aws = aws or session()
    return aws.client(service, region_name=region(aws), endpoint_url=endpoint_url(service))


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def duckdb_secret_sql(aws: boto3.Session | None = None) -> str:
    """A CREATE SECRET statement for DuckDB's httpfs from the standard credential chain."""
    aws = aws or session()
    credentials = aws.get_credentials()
    if credentials is None:
        raise AwsSetupError(
            "No AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and"
            " AWS_SECRET_ACCESS_KEY, or run where an instance or container role is available."
        )
    frozen = credentials.get_frozen_credentials()
    options = {
        "type": "s3",
        "key_id": frozen.access_key,
        "secret": frozen.secret_key,
        "region": region(aws),
    }
    if frozen.token:
        options["session_token"] = frozen.token
    endpoint = endpoint_url("s3")
    sql_options = [f"{name} {sql_literal(value)}" for name, value in options.items()]
    if endpoint:
        parsed = urlparse(endpoint)
        # DuckDB wants host:port without a scheme; local S3 servers want path-style URLs
        sql_options += [
            f"endpoint {sql_literal(parsed.netloc)}",
            f"use_ssl {'true' if parsed.scheme == 'https' else 'false'}",
            "url_style 'path'",
        ]
    return "create or replace secret stedi_s3 (" + ", ".join(sql_options) + ")"


def check_bucket(uri: str, aws: boto3.Session | None = None) -> None:
    """Fail with one clear line when a bucket is missing or the credentials cannot reach it."""
    location = S3Location.parse(uri)
    try:
        # the same request the build makes, so the same (least-privilege) permission answers
        client("s3", aws).list_objects_v2(
            Bucket=location.bucket, Prefix=location.key("") + "/", MaxKeys=1
        )
    except NoCredentialsError as error:
        raise AwsSetupError(f"No AWS credentials to reach {uri}.") from error
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchBucket"):
            raise AwsSetupError(f"Bucket {location.bucket!r} of {uri} does not exist.") from error
        if code in ("403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            raise AwsSetupError(
                f"Access to bucket {location.bucket!r} ({uri}) was refused ({code}): check the AWS"
                " credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID…), their policy, and that the"
                " bucket exists."
            ) from error
        raise AwsSetupError(f"Cannot reach {uri}: {code or error}") from error
    except BotoCoreError as error:
        raise AwsSetupError(f"Cannot reach {uri}: {error}") from error


def open_binary(path: str) -> Any:
    """A local file or an S3 object, opened for reading as a stream of bytes."""
    if is_s3(path):
        location = S3Location.parse(path)
        body = client("s3").get_object(Bucket=location.bucket, Key=location.key(""))["Body"]
        return contextlib.closing(body)
    return open(path, "rb")  # noqa: SIM115 (the caller closes it)


def prune_folder(folder: str, keep_file: str) -> str:
    """Delete every data file under a table's folder or prefix except the one just published."""
    if is_s3(folder):
        location = S3Location.parse(folder)
        s3 = client("s3")
        keep_key = location.key(keep_file)
        stale = [
            item["Key"]
            for page in s3.get_paginator("list_objects_v2").paginate(
                Bucket=location.bucket, Prefix=location.key("") + "/"
            )
            for item in page.get("Contents", [])
            if item["Key"] != keep_key
        ]
        # one DeleteObject per key: stale files are rare, and it needs only s3:DeleteObject
        for key in stale:
            s3.delete_object(Bucket=location.bucket, Key=key)
        return f"{len(stale)} removed"
    removed = 0
    for path in Path(folder).iterdir():
        if path.name != keep_file and path.is_file() and not path.name.startswith("."):
            path.unlink()
            removed += 1
    return f"{removed} removed"


def glue_table_input(table: dict[str, Any]) -> dict[str, Any]:
    """Glue TableInput for a Parquet table or a JSON landing table over its own prefix."""
    columns = [
        {
            "Name": column["name"],
            "Type": HIVE_TYPES.get(column["type"].upper(), column["type"].lower()),
            "Comment": (column.get("description") or "")[:255],
        }
        for column in table["columns"]
    ]
    location = table["location"].rstrip("/") + "/"
    if table["format"] == "parquet":
        storage = {
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE},
        }
    else:
        storage = {
            "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            "SerdeInfo": {
                "SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
                "Parameters": {"case.insensitive": "TRUE", "ignore.malformed.json": "TRUE"},
            },
        }
    return {
        "Name": table["name"],
        "Description": (table.get("description") or "")[:2048],
        "TableType": "EXTERNAL_TABLE",
        # the build that published the table (build id, policy, landing, time), if any
        "Parameters": {
            "classification": table["format"],
            "EXTERNAL": "TRUE",
            **table.get("parameters", {}),
        },
        "StorageDescriptor": {"Columns": columns, "Location": location, **storage},
    }


def register_glue_table(payload: str) -> str:
    """Create or update one Glue table (and its database). `payload` is JSON from the dbt hook."""
    table = json.loads(payload)
    try:
        return _register_glue_table(table)
    except (ClientError, BotoCoreError) as error:
        # raised inside a DuckDB UDF: keep the message to one readable line
        raise RuntimeError(
            f"Glue registration of {table['database']}.{table['name']} failed: {error}"
        ) from None


def _register_glue_table(table: dict[str, Any]) -> str:
    glue = client("glue")
    database = table["database"]
    try:
        glue.get_database(Name=database)
    except glue.exceptions.EntityNotFoundException:
        glue.create_database(
            DatabaseInput={"Name": database, "Description": "STEDI lakehouse (dbt project)"}
        )
    table_input = glue_table_input(table)
    try:
        glue.get_table(DatabaseName=database, Name=table["name"])
    except glue.exceptions.EntityNotFoundException:
        glue.create_table(DatabaseName=database, TableInput=table_input)
        return f"created {database}.{table['name']}"
    glue.update_table(DatabaseName=database, TableInput=table_input)
    return f"updated {database}.{table['name']}"


def upload_folder(local: Path, uri: str) -> int:
    """Upload a local landing folder to s3://bucket/prefix, creating the bucket when missing."""
    location = S3Location.parse(uri)
    s3 = client("s3")
    try:
        s3.head_bucket(Bucket=location.bucket)
    except ClientError as error:
        if str(error.response.get("Error", {}).get("Code")) not in ("404", "NoSuchBucket"):
            raise
        bucket_region = region()
        arguments: dict[str, Any] = {"Bucket": location.bucket}
        if bucket_region != "us-east-1":
            arguments["CreateBucketConfiguration"] = {"LocationConstraint": bucket_region}
        s3.create_bucket(**arguments)
    files = sorted(path for path in local.rglob("*") if path.is_file())
    for path in files:
        s3.upload_file(str(path), location.bucket, location.key(path.relative_to(local).as_posix()))
    return len(files)


def iam_policy(
    landing: str, lake: str, glue_databases: list[str], account: str = "*", aws_region: str = "*"
) -> dict[str, Any]:
    """The least privilege a build needs: read landing, write the lake, manage its Glue tables."""
    landing_location, lake_location = S3Location.parse(landing), S3Location.parse(lake)

    def under(location: S3Location) -> str:
        return f"arn:aws:s3:::{location.bucket}/{location.key('*')}"

    def listing(sid: str, location: S3Location) -> dict[str, Any]:
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": f"arn:aws:s3:::{location.bucket}",
            "Condition": {"StringLike": {"s3:prefix": [location.key("*"), location.prefix]}},
        }

    glue_arn = f"arn:aws:glue:{aws_region}:{account}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            listing("ListLanding", landing_location),
            {
                "Sid": "ReadLanding",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": under(landing_location),
            },
            listing("ListLake", lake_location),
            {
                "Sid": "WriteLake",
                "Effect": "Allow",
                "Action": [
                    "s3:GetObject",
                    "s3:PutObject",
                    "s3:DeleteObject",
                    "s3:AbortMultipartUpload",
                    "s3:ListMultipartUploadParts",
                ],
                "Resource": under(lake_location),
            },
            {
                "Sid": "ManageGlueTables",
                "Effect": "Allow",
                "Action": [
                    "glue:GetDatabase",
                    "glue:CreateDatabase",
                    "glue:GetTable",
                    "glue:CreateTable",
                    "glue:UpdateTable",
                ],
                "Resource": [f"{glue_arn}:catalog"]
                + [f"{glue_arn}:database/{name}" for name in glue_databases]
                + [f"{glue_arn}:table/{name}/*" for name in glue_databases],
            },
        ],
    }


def data_scientist_policy(
    lake: str, glue_database: str, account: str = "*", aws_region: str = "*"
) -> dict[str, Any]:
    """Read-only access to machine_learning_curated alone: its prefix and its Glue database."""
    handover = S3Location.parse(lake.rstrip("/") + "/" + MACHINE_LEARNING_PREFIX)
    glue_arn = f"arn:aws:glue:{aws_region}:{account}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListMachineLearningData",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": f"arn:aws:s3:::{handover.bucket}",
                "Condition": {"StringLike": {"s3:prefix": [handover.key("*"), handover.prefix]}},
            },
            {
                "Sid": "ReadMachineLearningData",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{handover.bucket}/{handover.key('*')}",
            },
            {
                "Sid": "ReadMachineLearningTable",
                "Effect": "Allow",
                "Action": [
                    "glue:GetDatabase",
                    "glue:GetTable",
                    "glue:GetTables",
                    "glue:GetPartitions",
                ],
                "Resource": [
                    f"{glue_arn}:catalog",
                    f"{glue_arn}:database/{glue_database}",
                    f"{glue_arn}:table/{glue_database}/*",
                ],
            },
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stedi.aws", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    upload = commands.add_parser("upload", help="upload a local landing folder to S3")
    upload.add_argument("local", type=Path)
    upload.add_argument("uri")
    policy = commands.add_parser("policy", help="print the least-privilege IAM policy")
    policy.add_argument("--role", choices=["build", "erasure", "data-scientist"], default="build")
    policy.add_argument("--landing", help="the landing location (roles build and erasure)")
    policy.add_argument("--lake", required=True)
    policy.add_argument("--glue-database", action="append")
    policy.add_argument("--account", default="*")
    policy.add_argument("--region", default="*")
    args = parser.parse_args(argv)
    try:
        if args.command == "upload":
            count = upload_folder(args.local, args.uri)
            print(f"Uploaded {count} files from {args.local} to {args.uri}")
        elif args.role == "data-scientist":
            [database] = args.glue_database or [
                os.environ.get(GLUE_DATABASE_ML_ENV, DEFAULT_GLUE_DATABASE_ML)
            ]
            document = data_scientist_policy(args.lake, database, args.account, args.region)
        else:
            if not args.landing:
                parser.error(f"--landing is required for the {args.role} role")
            databases = args.glue_database or [
                os.environ.get(GLUE_DATABASE_ENV, DEFAULT_GLUE_DATABASE),
                os.environ.get(GLUE_DATABASE_ML_ENV, DEFAULT_GLUE_DATABASE_ML),
            ]
            document = iam_policy(args.landing, args.lake, databases, args.account, args.region)
            if args.role == "erasure":
                # `make run` carries out waiting erasure requests before it builds
                from stedi.erasure import iam_statements

                document["Statement"] += iam_statements(args.landing, args.lake)
        if args.command == "policy":
            print(json.dumps(document, indent=2))
    except (AwsSetupError, ClientError, BotoCoreError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
