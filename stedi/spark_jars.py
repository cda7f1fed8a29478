"""Add hive-llap-common, which pyspark 4's jars lack, to pyspark's own jars folder.

Spark 4 dropped the jar from its distribution (SPARK-51041 added it back for Spark's own
Thrift server tests only), yet Hive's function registry still loads a class of it
(`LlapSigner$Signable`) when it initializes. The Thrift server initializes that registry
now and then while it closes a session, and the close then fails, and with it the dbt
build. Spark 3.5 shipped the jar; its pyspark 3.5.7 source archive on PyPI is the one
registry here that has it (Maven Central is not reachable). `make setup-spark` runs this:
`python -m stedi.spark_jars` downloads that archive with pip (hash-checked), takes the one
jar out of it, checks the jar's own hash and puts it where every Spark JVM started from
pyspark (driver, master, workers, executors) finds it: `$SPARK_HOME/jars`.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ARCHIVE = "pyspark==3.5.7"
ARCHIVE_SHA256 = "80e36514e0c5c126d35a26adf4f405cd4a69de96a8ea8a3c1e9a65fce2fb4eaa"
MEMBER = "pyspark-3.5.7/deps/jars/hive-llap-common-2.3.9.jar"
JAR = Path(MEMBER).name
JAR_SHA256 = "bbc07775a0b14180540b44d7879fb35dc92967a1e7a968063ca890c4e604c0b9"


class JarError(Exception):
    """Printed as one line: the download or its check failed."""


def jars_folder() -> Path:
    from stedi.spark_cluster import spark_home  # imports this module

    return spark_home() / "jars"


def sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def installed(folder: Path | None = None) -> bool:
    jar = (folder or jars_folder()) / JAR
    return jar.is_file() and sha256(jar) == JAR_SHA256


def install(folder: Path | None = None) -> Path:
    folder = folder or jars_folder()
    target = folder / JAR
    if installed(folder):
        return target
    with tempfile.TemporaryDirectory() as scratch:
        pinned = Path(scratch) / "requirements.txt"
        pinned.write_text(f"{ARCHIVE} --hash=sha256:{ARCHIVE_SHA256}\n")
        download = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary",
             ":all:", "--require-hashes", "-r", str(pinned), "-d", scratch],
            capture_output=True,
            text=True,
        )  # fmt: skip
        if download.returncode != 0:
            lines = download.stderr.strip().splitlines() or ["no output"]
            error = next((line for line in lines if line.startswith("ERROR:")), lines[-1])
            raise JarError(f"pip could not download {ARCHIVE} for {JAR}: {error}")
        [archive] = Path(scratch).glob("pyspark-*.tar.gz")
        with tarfile.open(archive) as tar:
            extracted = tar.extractfile(MEMBER)
            if extracted is None:
                raise JarError(f"{archive.name} has no {MEMBER}")
            partial = target.with_suffix(".partial")
            partial.write_bytes(extracted.read())
        if sha256(partial) != JAR_SHA256:
            partial.unlink()
            raise JarError(f"{JAR} from {archive.name} does not have the expected sha256")
        partial.replace(target)  # never half a jar in the folder every JVM reads
    return target


if __name__ == "__main__":
    from stedi.spark_cluster import ClusterError

    try:
        print(f"{JAR} in {install().parent}", file=sys.stderr)
    except (JarError, ClusterError) as error:
        sys.exit(f"stedi.spark_jars: {error}")
