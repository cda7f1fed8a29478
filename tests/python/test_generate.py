"""Tests of stedi.generate: determinism, the course's shape and quirks, file splitting."""

from __future__ import annotations

import gzip
import json
import math
import re
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stedi.generate import SOURCES, generate, generate_increment, main

N = 1_200  # customers in the shared sample
SHARD = 500  # small shards, so that several workers have work to share
ROWS = 20_000
CUSTOMER_KEYS = [
    "customerName", "email", "phone", "birthDay", "serialNumber",
    "registrationDate", "lastUpdateDate",
]  # fmt: skip
CONSENT_KEYS = [
    "shareWithResearchAsOfDate", "shareWithPublicAsOfDate", "shareWithFriendsAsOfDate",
]  # fmt: skip
NAME = re.compile(r"^(customer|accelerometer|step_trainer)-(\d{13})\.json(\.gz)?$")


def files(out: Path, source: str) -> list[Path]:
    return sorted((out / source).iterdir())


def lines(out: Path, source: str) -> list[str]:
    result: list[str] = []
    for path in files(out, source):
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        text = data.decode("ascii")
        assert text.endswith("\n")
        result.extend(text.splitlines())
    return result


def records(out: Path, source: str) -> list[dict]:
    return [json.loads(line) for line in lines(out, source)]


def snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def run(out: Path, **options) -> dict:
    params = {"customers": N, "seed": 7, "rows_per_file": ROWS, "workers": 1, "shard_size": SHARD}
    return generate(out, **(params | options))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("sample")
    return out, run(out)


@pytest.fixture(scope="module")
def data(sample: tuple[Path, dict]) -> dict[str, list[dict]]:
    return {source: records(sample[0], source) for source in SOURCES}


def test_same_seed_gives_same_bytes_for_any_worker_count(
    sample: tuple[Path, dict], tmp_path: Path
) -> None:
    expected = snapshot(sample[0])
    for workers in (2, 3):
        run(tmp_path / str(workers), workers=workers)
        assert snapshot(tmp_path / str(workers)) == expected


def test_different_seed_gives_different_data(sample: tuple[Path, dict], tmp_path: Path) -> None:
    run(tmp_path, seed=8)
    assert lines(tmp_path, "customer") != lines(sample[0], "customer")
    assert lines(tmp_path, "step_trainer") != lines(sample[0], "step_trainer")


def test_summary_matches_disk(sample: tuple[Path, dict]) -> None:
    out, summary = sample
    for source in SOURCES:
        paths = files(out, source)
        assert summary[source]["rows"] == len(lines(out, source))
        assert summary[source]["files"] == len(paths)
        assert summary[source]["bytes"] == sum(p.stat().st_size for p in paths)
    assert summary["bytes"] == sum(summary[s]["bytes"] for s in SOURCES)
    assert summary["customer"]["rows"] == N
    assert summary["step_trainer"]["rows"] == 30 * N


def test_customer_records(data: dict[str, list[dict]]) -> None:
    customers = data["customer"]
    assert len({c["email"] for c in customers}) == N
    assert len({c["serialNumber"] for c in customers}) == N
    for c in customers:
        keys = list(c)
        assert keys[:7] == CUSTOMER_KEYS
        assert keys[7:] == [k for k in CONSENT_KEYS if k in c]  # absent, never null
        first, last = c["customerName"].split(" ")
        assert re.fullmatch(rf"{first}\.{last}\d+@test\.com", c["email"])
        assert c["phone"] == "8015551212"
        assert re.fullmatch(r"[1-9]\d{2,3}-01-01", c["birthDay"])
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                            c["serialNumber"])  # fmt: skip
        assert type(c["registrationDate"]) is int
        assert c["lastUpdateDate"] == c["registrationDate"]
        assert all(type(c[k]) is int and c[k] >= c["registrationDate"] for k in keys[7:])
    years = [int(c["birthDay"].split("-")[0]) for c in customers]
    assert sum(y < 1900 for y in years) > 0.8 * N
    assert 0 < sum(y < 1000 for y in years) < 0.15 * N
    start = min(c["registrationDate"] for c in customers)
    assert abs(start - 1_655_561_935_465) < 1_000


def test_about_half_consent_and_some_later(data: dict[str, list[dict]]) -> None:
    customers = data["customer"]
    for key in CONSENT_KEYS:
        assert 0.4 * N < sum(key in c for c in customers) < 0.6 * N
    consenting = [c for c in customers if "shareWithResearchAsOfDate" in c]
    delays = [c["shareWithResearchAsOfDate"] - c["registrationDate"] for c in consenting]
    late = [d for d in delays if d > 0]
    assert 0.01 * len(consenting) < len(late) < 0.1 * len(consenting)
    assert all(1 <= d <= 68_300 for d in late)


def test_step_trainer_readings(data: dict[str, list[dict]]) -> None:
    serials = {c["serialNumber"] for c in data["customer"]}
    times: dict[str, list[int]] = defaultdict(list)
    for r in data["step_trainer"]:
        assert list(r) == ["sensorReadingTime", "serialNumber", "distanceFromObject"]
        assert type(r["sensorReadingTime"]) is int
        assert type(r["distanceFromObject"]) is int and 201 <= r["distanceFromObject"] <= 300
        times[r["serialNumber"]].append(r["sensorReadingTime"])
    assert set(times) == serials
    for readings in times.values():
        assert len(readings) == len(set(readings)) == 30
        assert 55_000 <= max(readings) - min(readings) <= 2 * 60_000


def test_phone_readings_match_step_readings(data: dict[str, list[dict]]) -> None:
    owner = {c["serialNumber"]: c["email"] for c in data["customer"]}
    steps = Counter(
        (owner[r["serialNumber"]], r["sensorReadingTime"]) for r in data["step_trainer"]
    )
    groups: dict[tuple[str, int], list[tuple[float, float, float]]] = defaultdict(list)
    for r in data["accelerometer"]:
        assert list(r) == ["user", "timestamp", "x", "y", "z"]
        assert type(r["timestamp"]) is int
        assert all(type(r[k]) is float and r[k] in (-1.0, 0.0, 1.0) for k in "xyz")
        groups[r["user"], r["timestamp"]].append((r["x"], r["y"], r["z"]))
    assert set(groups) == set(steps)  # one group per step reading, no orphans
    sizes = Counter(len(g) for g in groups.values())
    assert set(sizes) <= set(range(1, 7))
    assert sizes.most_common(1)[0][0] == 3
    assert all(len(set(g)) == len(g) for g in groups.values())  # no duplicate rows
    assert 80 * N < len(data["accelerometer"]) < 90 * N


def test_floats_are_written_like_the_course(sample: tuple[Path, dict]) -> None:
    line = lines(sample[0], "accelerometer")[0]
    assert re.fullmatch(r'\{"user":"[^"]+","timestamp":\d{13}(,"[xyz]":-?[01]\.0){3}\}', line)


def test_timestamps_are_shared_across_customers(data: dict[str, list[dict]]) -> None:
    owners: dict[int, set[str]] = defaultdict(set)
    for r in data["step_trainer"]:
        owners[r["sensorReadingTime"]].add(r["serialNumber"])
    shared = sum(len(s) > 1 for s in owners.values())
    assert 0.02 < shared / len(owners) < 0.1


def test_readings_before_and_after_consent(data: dict[str, list[dict]]) -> None:
    consent = {
        c["serialNumber"]: c["shareWithResearchAsOfDate"]
        for c in data["customer"]
        if "shareWithResearchAsOfDate" in c
    }
    times: dict[str, list[int]] = defaultdict(list)
    for r in data["step_trainer"]:
        if r["serialNumber"] in consent:
            times[r["serialNumber"]].append(r["sensorReadingTime"])
    before = sum(min(t) < consent[s] for s, t in times.items())
    none_after = sum(max(t) < consent[s] for s, t in times.items())
    assert before > 0.5 * len(consent)
    assert 0 < none_after < 0.1 * len(consent)


def test_file_names_and_splitting(sample: tuple[Path, dict]) -> None:
    out, _ = sample
    suffixes = set()
    for source in SOURCES:
        paths = files(out, source)
        for path in paths:
            match = NAME.match(path.name)
            assert match and match[1] == source and not match[3]
            suffixes.add((source, match[2]))
            assert len(path.read_bytes().splitlines()) <= ROWS
        assert len({p.name for p in paths}) == len(paths)
    assert len(suffixes) == sum(len(files(out, s)) for s in SOURCES)
    # Shards of 500, 500 and 200 customers write their own files: one customer file and one
    # step-trainer file each (<= 15,000 rows), and 3, 3 and 1 accelerometer files.
    assert len(files(out, "customer")) == len(files(out, "step_trainer")) == math.ceil(N / SHARD)
    counts = [len(p.read_bytes().splitlines()) for p in files(out, "accelerometer")]
    assert counts[:2] == counts[3:5] == [ROWS, ROWS] and len(counts) == 7


def test_course_like_split(tmp_path: Path) -> None:
    """956 customers in files of 10,000 rows: 1 + 9 + 3 files, like the course export."""
    summary = generate(tmp_path, 956, rows_per_file=10_000, workers=1)
    assert [summary[s]["files"] for s in SOURCES] == [1, 9, 3]
    for source in SOURCES:
        counts = [len(p.read_bytes().splitlines()) for p in files(tmp_path, source)]
        assert all(c == 10_000 for c in counts[:-1]) and sum(counts) == summary[source]["rows"]


def test_gzip_holds_the_same_lines(sample: tuple[Path, dict], tmp_path: Path) -> None:
    summary = run(tmp_path / "a", gzip=True, workers=2)
    for source in SOURCES:
        paths = files(tmp_path / "a", source)
        assert all(p.name.endswith(".json.gz") for p in paths)
        assert lines(tmp_path / "a", source) == lines(sample[0], source)
        assert summary[source]["bytes"] == sum(p.stat().st_size for p in paths)
    run(tmp_path / "b", gzip=True, workers=1)
    assert snapshot(tmp_path / "b") == snapshot(tmp_path / "a")


def test_duckdb_reads_it(sample: tuple[Path, dict], data: dict[str, list[dict]]) -> None:
    out, summary = sample
    con = duckdb.connect()
    customer_columns = {k: "VARCHAR" for k in CUSTOMER_KEYS[:5]} | {
        k: "BIGINT" for k in CUSTOMER_KEYS[5:] + CONSENT_KEYS
    }
    columns = {
        "customer": customer_columns,
        "accelerometer": {"user": "VARCHAR", "timestamp": "BIGINT", "x": "DOUBLE",
                          "y": "DOUBLE", "z": "DOUBLE"},
        "step_trainer": {"sensorReadingTime": "BIGINT", "serialNumber": "VARCHAR",
                         "distanceFromObject": "BIGINT"},
    }  # fmt: skip
    for source in SOURCES:
        path = str(out / source / "*.json").replace("'", "''")
        con.sql(
            f"create view {source} as select * from read_json('{path}', "
            f"format = 'newline_delimited', columns = {columns[source]!r})"
        )
        assert con.sql(f"select count(*) from {source}").fetchone() == (summary[source]["rows"],)
    absent = sum("shareWithResearchAsOfDate" not in c for c in data["customer"])
    nulls = con.sql("select count(*) from customer where shareWithResearchAsOfDate is null")
    assert nulls.fetchone() == (absent,)  # a missing key reads as NULL
    orphans = con.sql(
        "select count(*) from accelerometer a anti join customer c on a.user = c.email"
    ).fetchone()
    assert orphans == (0,)
    joined = con.sql(
        "select count(*) from step_trainer s join customer c using (serialNumber) "
        "join (select distinct user, timestamp from accelerometer) a "
        "on a.user = c.email and a.timestamp = s.sensorReadingTime"
    ).fetchone()
    assert joined == (summary["step_trainer"]["rows"],)  # the course's perfect 1:1 design


def test_refuses_to_mix_with_earlier_output(tmp_path: Path) -> None:
    generate(tmp_path, 10, workers=1)
    with pytest.raises(FileExistsError):
        generate(tmp_path, 10, seed=1, workers=1)
    summary = generate(tmp_path, 20, seed=1, workers=1, overwrite=True)
    assert len(lines(tmp_path, "customer")) == summary["customer"]["rows"] == 20


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--out", str(tmp_path), "--customers", "25", "--seed", "3", "--rows-per-file", "500"]
    assert main([*argv, "--gzip"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["customer"] == {"rows": 25, "files": 1, "bytes": summary["customer"]["bytes"]}
    assert summary["step_trainer"]["files"] == 2
    assert all(NAME.match(p.name) for s in SOURCES for p in files(tmp_path, s))


def test_if_empty_generates_nothing_for_an_s3_landing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # `make run` / `make docs` with STEDI_LANDING=s3://…: no local folder named `s3:`
    monkeypatch.chdir(tmp_path)
    assert main(["--out", "s3://stedi-landing/landing", "--customers", "5", "--if-empty"]) == 0
    assert list(tmp_path.iterdir()) == []
    assert "Landing is on S3" in capsys.readouterr().err


def test_no_customers(tmp_path: Path) -> None:
    summary = generate(tmp_path, 0)
    assert summary["bytes"] == 0 and all((tmp_path / s).is_dir() for s in SOURCES)


@settings(max_examples=25, deadline=None)
@given(
    customers=st.integers(0, 40),
    rows_per_file=st.integers(1, 400),
    shard_size=st.integers(1, 15),
)
def test_any_split_keeps_every_row_once(
    tmp_path_factory: pytest.TempPathFactory, customers: int, rows_per_file: int, shard_size: int
) -> None:
    out = tmp_path_factory.mktemp("split")
    summary = generate(
        out, customers, seed=5, rows_per_file=rows_per_file, workers=1, shard_size=shard_size
    )
    reference = tmp_path_factory.mktemp("whole")
    generate(reference, customers, seed=5, workers=1, shard_size=shard_size)
    for source in SOURCES:
        paths = files(out, source)
        assert len({NAME.match(p.name)[2] for p in paths}) == len(paths)  # type: ignore[index]
        assert all(len(p.read_bytes().splitlines()) <= rows_per_file for p in paths)
        assert lines(out, source) == lines(reference, source)
        assert summary[source]["rows"] == len(lines(out, source))


# --- the increment: a later day's files added to a landing folder (stedi.generate_increment)


def with_increment(sample: tuple[Path, dict], out: Path, **options) -> dict:
    shutil.copytree(sample[0], out)
    return generate_increment(out, **({"seed": 3} | options))


def new_files(out: Path, base: Path) -> dict[str, Path]:
    """The one file per source that the increment added."""
    added = {}
    for source in SOURCES:
        [path] = set(files(out, source)) - {out / p.relative_to(base) for p in files(base, source)}
        added[source] = path
    return added


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_increment_is_deterministic_and_only_adds_files(
    sample: tuple[Path, dict], tmp_path: Path
) -> None:
    base = snapshot(sample[0])
    with_increment(sample, tmp_path / "a")
    with_increment(sample, tmp_path / "b")
    with_increment(sample, tmp_path / "c", seed=4)
    after = snapshot(tmp_path / "a")
    assert {name: after[name] for name in base} == base  # existing files untouched
    assert len(after) == len(base) + 3
    assert snapshot(tmp_path / "b") == after
    assert snapshot(tmp_path / "c") != after
    for path in new_files(tmp_path / "a", sample[0]).values():
        match = NAME.match(path.name)
        newest = max(int(NAME.match(p.name)[2]) for p in sample[0].rglob("*.json"))  # type: ignore[index]
        assert match and int(match[2]) == newest + 1  # named after every earlier file


def test_increment_readings_are_a_later_percent_of_existing_consenting_customers(
    sample: tuple[Path, dict], data: dict[str, list[dict]], tmp_path: Path
) -> None:
    summary = with_increment(sample, tmp_path / "landing")
    added = {
        source: read_lines(path)
        for source, path in new_files(tmp_path / "landing", sample[0]).items()
    }
    before = len(data["accelerometer"]) + len(data["step_trainer"])
    rows = len(added["accelerometer"]) + len(added["step_trainer"])
    assert summary["readings_before"] == before
    assert round(0.01 * before) <= rows <= round(0.01 * before) + 6  # 1 %, a burst cut short
    newest = max(
        [r["timestamp"] for r in data["accelerometer"]]
        + [r["sensorReadingTime"] for r in data["step_trainer"]]
    )
    # the customers' state after the increment: the re-exported record replaces the old one
    state = {c["email"]: c for c in data["customer"]} | {c["email"]: c for c in added["customer"]}
    owner = {c["serialNumber"]: c for c in state.values()}
    phones: dict[tuple[str, int], int] = Counter()
    for r in added["accelerometer"]:
        assert list(r) == ["user", "timestamp", "x", "y", "z"]
        assert r["timestamp"] > newest
        assert r["timestamp"] >= state[r["user"]]["shareWithResearchAsOfDate"]  # passes consent
        phones[r["user"], r["timestamp"]] += 1
    for r in added["step_trainer"]:
        assert list(r) == ["sensorReadingTime", "serialNumber", "distanceFromObject"]
        customer = owner[r["serialNumber"]]  # a device of an existing customer
        assert r["sensorReadingTime"] > newest
        assert r["sensorReadingTime"] >= customer["shareWithResearchAsOfDate"]
        assert 1 <= phones[customer["email"], r["sensorReadingTime"]] <= 3  # its owner's phone
    assert sum(phones.values()) == len(added["accelerometer"])
    assert len({user for user, _ in phones}) > 5


def test_increment_reexports_customers_with_changed_consent(
    sample: tuple[Path, dict], data: dict[str, list[dict]], tmp_path: Path
) -> None:
    summary = with_increment(sample, tmp_path / "landing", fraction=0.05)
    added = read_lines(new_files(tmp_path / "landing", sample[0])["customer"])
    old = {c["email"]: c for c in data["customer"]}
    assert len(added) == len({c["email"] for c in added}) == round(0.05 * N)
    kinds: Counter[str] = Counter()
    newest = max(c["lastUpdateDate"] for c in data["customer"])
    for record in added:
        before = old[record["email"]]
        assert list(record)[:7] == CUSTOMER_KEYS
        assert record["lastUpdateDate"] > newest
        unchanged = {
            k: v for k, v in record.items() if k not in ("lastUpdateDate", CONSENT_KEYS[0])
        }
        assert unchanged == {k: v for k, v in before.items() if k in unchanged}
        consent, earlier = record.get(CONSENT_KEYS[0]), before.get(CONSENT_KEYS[0])
        assert consent != earlier
        if earlier is None:
            assert consent == record["lastUpdateDate"]
            kinds["granted"] += 1
        elif consent is None:
            assert CONSENT_KEYS[0] not in record  # withdrawn: the key is absent
            kinds["withdrawn"] += 1
        else:
            assert 1_000 <= abs(consent - earlier) <= 60_000
            kinds["moved"] += 1
    assert dict(kinds) == summary["changes"] and min(kinds.values()) >= 5


def test_increment_cli_and_its_error(
    sample: tuple[Path, dict], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(sample[0], tmp_path / "landing")
    assert main(["--increment", "--out", str(tmp_path / "landing"), "--seed", "3"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["customer"]["rows"] == round(0.01 * N)
    (tmp_path / "empty" / "customer").mkdir(parents=True)
    with pytest.raises(SystemExit) as exited:
        main(["--increment", "--out", str(tmp_path / "empty")])
    assert exited.value.code == 2
    assert "holds no customer records to change" in capsys.readouterr().err
