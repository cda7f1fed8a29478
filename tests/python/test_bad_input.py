"""Bad input never breaks the lakehouse and nothing is lost (quarantine and drift)."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from bad_input import ACCEPTED, HOSTILE_NAME, SEVERAL_FAULTS_FILE, Outcome, write_bad_landing
from conftest import COURSE_V1, Build, assert_succeeded, build, require_course_data, run_dbt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def placements(result: Build) -> dict[tuple[str, str, int], Outcome]:
    """Where every landing line ended up: accepted, or its quarantine reason and field."""
    rows = result.query(
        """
        select 'customer', source_file, line_number, 'accepted', null
        from landing.customer_landing
        union all
        select 'accelerometer', source_file, line_number, 'accepted', null
        from landing.accelerometer_landing
        union all
        select 'step_trainer', source_file, line_number, 'accepted', null
        from landing.step_trainer_landing
        union all
        select source_name, source_file, line_number, rejection_reason, rejected_field
        from landing.rejected_records
        """
    )
    found: dict[tuple[str, str, int], Outcome] = {}
    for source, file, number, reason, field in rows:
        key = (source, Path(file).name, number)
        assert key not in found, f"line {key} is in two places"
        found[key] = (reason, field)
    return found


def file_lines(path: Path) -> int:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    return len(data.splitlines())


@pytest.fixture(scope="module")
def bad_build(tmp_path_factory) -> tuple[Build, dict]:
    root = tmp_path_factory.mktemp("bad-input")
    expected = write_bad_landing(root / "landing")
    result = build(root / "landing", root / "build")
    assert_succeeded(result)
    return result, expected


def test_every_line_ends_up_exactly_where_documented(bad_build):
    result, expected = bad_build
    assert placements(result) == expected


def test_a_line_with_several_faults_gets_the_first_failing_check(bad_build):
    result, expected = bad_build
    found = placements(result)
    several = {key: outcome for key, outcome in expected.items() if SEVERAL_FAULTS_FILE in key[1]}
    assert len(several) >= 5
    assert {key: found.get(key) for key in several} == several


def test_drift_is_understood_and_hostile_values_stay_data(bad_build):
    result, _ = bad_build
    names = result.query(
        "select customer_name from landing.customer_landing where customer_key = 'eve@example.com'"
    )
    assert names == [(HOSTILE_NAME,)]
    # `timeStamp`, numbers as strings, trailing commas
    assert result.query(
        "select reading_ms, x, y from landing.accelerometer_landing where line_number in (1, 4) order by 1"
    ) == [(1655564376400, 1.0, 0.0), (1655564376600, 0.0, 1.0)]
    assert result.count("landing.step_trainer_landing") == 4
    assert result.query(
        "select rejected_field from landing.rejected_records where rejection_reason = 'missing_required_field'"
        f" and source_file not like '%{SEVERAL_FAULTS_FILE}' order by source_name"
    ) == [("user",), ("email",)]
    # the tables that hostile strings name still exist
    assert result.count("trusted.customer_trusted") == 5


def test_duplicates_and_shared_devices_follow_their_rules(bad_build):
    result, _ = bad_build
    # ann withdrew consent in her later record; cat and dan share one device
    assert {
        row[0] for row in result.query("select customer_key from trusted.customer_trusted")
    } == {
        "bob@example.com",
        "cat@example.com",
        "dan@example.com",
        "eve@example.com",
        "fay@example.com",
    }
    assert result.query(
        "select reading_ms, landing_copies from trusted.accelerometer_trusted"
        " where user_key = 'bob@example.com' order by 1"
    ) == [(1655564376400, 1), (1655564376500, 2), (1655564376600, 1)]
    assert result.query(
        "select serial_number, current_owners, quarantine_reason from trusted.step_trainer_unattributed"
    ) == [("dev-shared", 2, "serial_number_shared_by_several_customers")]
    assert result.query("select serial_number from trusted.step_trainer_trusted order by 1") == [
        ("dev-bob",),
        ("dev-bob",),
        ("dev-eve",),
    ]
    assert result.count("curated.machine_learning_curated") == 3


def test_quarantine_is_reported_without_failing_the_build(bad_build):
    result, expected = bad_build
    output = result.result.stdout
    rejected = sum(1 for outcome in expected.values() if outcome != ACCEPTED)
    assert f"WARN {rejected} quarantined_lines" in output
    assert "WARN 1 unattributed_device_readings" in output
    # each warning says where to look
    assert (
        f"Warning quarantined_lines: {rejected} flagged; look at landing.rejected_records" in output
    )
    assert "look at trusted.step_trainer_unattributed" in output
    report = subprocess.run(
        [str(Path(__import__("sys").executable).parent / "python"), "-m", "stedi.report"],
        env={**__import__("os").environ, "STEDI_DUCKDB": str(result.database)},
        capture_output=True,
        text=True,
    )
    assert report.returncode == 0, report.stderr
    assert f"Quarantine (landing.rejected_records): {rejected} lines" in report.stdout
    assert "invalid_encoding" in report.stdout


@pytest.mark.parametrize("policy", ["strict", "rubric"])
def test_the_2022_export_reconciles_line_by_line(policy, built):
    landing = require_course_data(COURSE_V1)
    result = built("course-v1", landing, policy)
    per_file = Counter(
        {
            Path(file).name: count
            for file, count in result.query(
                """
            select source_file, count(*) from (
                select source_file from landing.customer_landing
                union all select source_file from landing.accelerometer_landing
                union all select source_file from landing.step_trainer_landing
                union all select source_file from landing.rejected_records
            ) group by source_file
            """
            )
        }
    )
    on_disk = {path.name: file_lines(path) for path in landing.glob("*/*.json*")}
    assert dict(per_file) == on_disk
    assert sum(on_disk.values()) == 999 + 25_126 + 239_760


garbage = st.one_of(
    st.binary(max_size=200).map(lambda data: data.replace(b"\n", b" ").replace(b"\r", b" ")),
    st.text(max_size=200).map(lambda text: text.replace("\n", " ").replace("\r", " ").encode()),
    st.sampled_from(
        [b"{", b"}", b"[]", b"null", b"{}", b'{"user": 5}', b"\x00", b"\xff\xfe", b"   ", b""]
    ),
)
valid_reading = st.builds(
    lambda user, ms, x: (
        f'{{"user":"{user}@example.com","timestamp":{ms},"x":{x},"y":0.0,"z":-1.0}}'.encode()
    ),
    st.sampled_from(["bob", "cat", "BOB"]),
    st.integers(min_value=1_655_564_376_361, max_value=1_655_564_476_361),
    st.sampled_from(["1.0", "0.0", "-1.0", '"1"']),
)


random_file = st.lists(st.tuples(st.booleans(), valid_reading, garbage), min_size=1, max_size=40)


# A build costs far more than its lines: each example puts three random files in one build.
@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(files=st.lists(random_file, min_size=3, max_size=3))
def test_random_garbage_never_breaks_the_build_and_every_line_is_accounted_for(
    files, tmp_path_factory
):
    root = tmp_path_factory.mktemp("property")
    landing = root / "landing"
    write_bad_landing(landing)
    written = []
    for index, lines in enumerate(files):
        name = f"accelerometer-random-{index}.json"
        content = [valid if is_valid else junk for is_valid, valid, junk in lines]
        data = b"\n".join(content)
        (landing / "accelerometer" / name).write_bytes(data)
        written.append((name, lines, content, data))
    result = build(landing, root / "build")
    assert_succeeded(result)
    found = placements(result)
    for name, lines, content, data in written:
        in_file = {number: outcome for (_, file, number), outcome in found.items() if file == name}
        # a final empty line is no line: "a\n" holds one line, an empty file none
        assert sorted(in_file) == list(range(1, len(data.splitlines()) + 1))
        for number, (is_valid, _, _) in enumerate(lines, start=1):
            if is_valid:
                assert in_file[number] == ACCEPTED, (name, number, content[number - 1])


def test_missing_landing_folder_is_one_clear_line(tmp_path):
    result = run_dbt(["build"], tmp_path, tmp_path / "no-such-landing")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert (
        f"No landing files (*.json, *.json.gz) in '{tmp_path / 'no-such-landing'}/customer'"
        in output
    )
    assert "Set STEDI_LANDING" in output
    empty = tmp_path / "empty-landing"
    for source in ("customer", "accelerometer", "step_trainer"):
        (empty / source).mkdir(parents=True)
    result = run_dbt(["build"], tmp_path, empty)
    assert result.returncode != 0 and "Traceback" not in result.stdout + result.stderr
    assert "No landing files" in result.stdout


def test_a_damaged_gzip_file_is_quarantined_with_its_own_reason(generated_landing, tmp_path):
    """DuckDB reads a truncated or corrupt .json.gz silently: the build says so instead."""
    landing = tmp_path / "landing"
    shutil.copytree(generated_landing, landing)
    reading = '{{"user":"ann@example.com","timestamp":{},"x":1.0,"y":0.0,"z":0.0}}\n'
    lines = "".join(reading.format(1655564444103 + number) for number in range(3000)).encode()
    packed = gzip.compress(lines)
    (landing / "accelerometer" / "truncated.json.gz").write_bytes(packed[: len(packed) // 2])
    corrupt = bytearray(packed)
    corrupt[-8:-4] = bytes(4)  # the CRC of the data: the stream decodes, the check fails
    (landing / "accelerometer" / "corrupt.json.gz").write_bytes(bytes(corrupt))

    result = build(landing, tmp_path / "build")
    assert_succeeded(result)
    by_file = dict(
        ((Path(file).name, reason), (count, last))
        for file, reason, count, last in result.query(
            """
            select source_file, rejection_reason, count(*), max(line_number)
            from landing.rejected_records
            where source_file like '%.gz'
            group by all
            """
        )
    )
    truncated_lines = result.query(
        "select max(line_number) from landing.accelerometer_landing_checked"
        " where source_file like '%truncated.json.gz'"
    )[0][0]
    assert 0 < truncated_lines < 3000
    # the cut last line, and only it, is quarantined as truncated_file
    assert by_file[("truncated.json.gz", "truncated_file")] == (1, truncated_lines)
    assert ("truncated.json.gz", "invalid_json") not in by_file
    assert by_file[("corrupt.json.gz", "corrupt_file")] == (3000, 3000)
    assert (
        result.count("landing.accelerometer_landing")
        == result.query(
            "select count(*) from landing.accelerometer_landing_checked where rejection_reason is null"
        )[0][0]
    )
    assert "WARN" in result.result.stdout and "quarantined_lines" in result.result.stdout
