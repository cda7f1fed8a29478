"""The privacy report, read as a person would: every figure of the JSON checked against the
database with queries of its own, the page checked to show the same figures, opened in
headless Chromium and photographed, and searched for personal data."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from bad_input import HOSTILE_NAME, write_bad_landing
from conftest import (
    COURSE_V2,
    PROJECT_DIR,
    Build,
    build_with_injected_fault,
    require_course_data,
    run_dbt,
)

CONFIGURED_KEY = "a-configured-key-the-report-must-not-show"
# the funnel's bars (stedi/report_page.py): seeing this colour means the SVG was drawn
BAR_COLOUR = (0x2F, 0x6F, 0x9F)


def report_of(build: Build) -> tuple[dict, str, Path]:
    suffix = "" if build.policy == "strict" else f"_{build.policy}"
    html = build.root / f"privacy-report{suffix}.html"
    assert html.exists(), f"no report at {html}:\n" + build.result.stdout[-3000:]
    assert f"Privacy report: {html}" in build.result.stdout
    return json.loads(html.with_suffix(".json").read_text()), html.read_text(), html


class Page(HTMLParser):
    """The page's tables (rows of cell texts) and the texts of its SVG, in order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.svg_texts: list[str] = []
        self.text = ""
        self._cell: list[str] | None = None
        self._in_svg_text = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "text":
            self._in_svg_text = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "text":
            self._in_svg_text = False

    def handle_data(self, data: str) -> None:
        self.text += data
        if self._cell is not None:
            self._cell.append(data)
        if self._in_svg_text:
            self.svg_texts.append(data)

    def rows(self) -> list[list[str]]:
        return [row for table in self.tables for row in table]


def shown(value: int | None) -> str:
    return "not built" if value is None else f"{value:,}"


def one(build: Build, sql: str) -> int:
    return build.query(sql)[0][0]


def expected_exclusions(build: Build) -> dict[tuple[str, str], int]:
    """Each rule's exclusions, from the landing views and the published tables, written
    here without the project's macros."""
    trusted, curated = build.published("trusted.x")[:-2], build.published("curated.x")[:-2]
    strict = build.policy == "strict"
    current = """
        select * from (
            select *, row_number() over (
                partition by lower(trim(email))
                order by last_update_ms desc, source_file desc, line_number desc) as recency
            from landing.customer_landing)
        where recency = 1"""
    owners = f"""
        select serial_number, min(lower(trim(email))) as owner
        from ({current}) group by serial_number having count(*) = 1"""
    return {
        ("current_record_only", "customer records"): one(
            build,
            "select count(*) - count(distinct lower(trim(email))) from landing.customer_landing",
        )
        if strict
        else 0,
        ("no_consent", "customer records"): one(
            build,
            f"select count(*) from ({current if strict else 'select * from landing.customer_landing'})"
            " where research_consent_ms is null",
        ),
        ("no_consent", "phone readings"): one(
            build,
            "select count(*) from landing.accelerometer_landing"
            f" where user_key not in (select customer_key from {trusted}.customer_trusted)",
        ),
        ("no_consent", "device readings"): one(
            build,
            "select count(*) from landing.step_trainer_landing"
            f" where serial_number not in (select serial_number from {trusted}.customer_trusted)",
        ),
        ("taken_after_consent", "phone readings"): one(
            build,
            f"select count(*) from landing.accelerometer_landing as a join {trusted}.customer_trusted as c"
            " on a.user_key = c.customer_key where a.reading_ms < c.research_consent_ms",
        )
        if strict
        else 0,
        ("taken_after_consent", "device readings"): one(
            build,
            f"""select count(*) from landing.step_trainer_landing as s
            where s.sensor_reading_ms < (select min(c.research_consent_ms)
                from {curated}.customer_curated as c where c.serial_number = s.serial_number)""",
        )
        if strict
        else 0,
        ("device_has_one_owner", "device readings"): build.count(
            "trusted.step_trainer_unattributed"
        ),
        ("paired_with_owner", "reading pairs"): one(
            build,
            f"""select count(*) from {trusted}.step_trainer_trusted as s
            join ({owners}) as o on s.serial_number = o.serial_number
            join {trusted}.accelerometer_trusted as a on s.sensor_reading_ms = a.reading_ms
            where a.user_key <> o.owner""",
        )
        if strict
        else 0,
    }


@pytest.mark.parametrize("policy", ["strict", "rubric"])
def test_every_figure_matches_the_database(policy, built):
    build = built("course-v2", require_course_data(COURSE_V2), policy)
    figures, html, _ = report_of(build)
    page = Page(html)
    rows = page.rows()
    trusted, curated = build.published("trusted.x")[:-2], build.published("curated.x")[:-2]

    assert figures["build"]["policy"] == policy
    assert figures["build"]["published"] is True
    assert figures["build"]["landing"] == str(COURSE_V2)
    assert figures["build"]["command"] == "dbt build"
    published_id = json.loads(
        build.query(
            f"select comment from duckdb_views() where schema_name = '{curated}'"
            " and view_name = 'machine_learning_curated'"
        )[0][0]
    )["stedi_build_id"]
    assert figures["build"]["build_id"] == published_id
    assert ["build id", published_id] in rows
    assert ["consent policy", policy] in rows

    # counts per zone, under the names consumers query
    assert len(figures["zones"]) == 10
    for zone in figures["zones"]:
        assert zone["rows"] == one(build, f"select count(*) from {zone['relation']}"), zone
        assert [zone["zone"], zone["relation"], shown(zone["rows"])] in rows
        schema, table = zone["relation"].split(".")
        audit = zone["relation"] if zone["zone"] == "landing" else f"{schema}_audit.{table}"
        assert zone["built_as"] == audit, zone
    assert {zone["relation"] for zone in figures["zones"]} >= {
        build.published(relation)
        for relation in ("trusted.customer_trusted", "curated.customer_curated")
    }

    # the funnel, and the chart shows each step's label and number
    funnel = {step["step"]: step["count"] for step in figures["funnel"]}
    assert funnel == {
        "landing_records": one(build, "select count(*) from landing.customer_landing"),
        "current_records": one(
            build, "select count(distinct lower(trim(email))) from landing.customer_landing"
        ),
        "consenting": one(
            build, f"select count(distinct customer_key) from {trusted}.customer_trusted"
        ),
        "with_readings": one(
            build, f"select count(distinct customer_key) from {curated}.customer_curated"
        ),
        "in_ml_data_set": one(
            build, f"select count(distinct subject_id) from {curated}.machine_learning_curated"
        ),
    }
    assert page.svg_texts == [
        text for step in figures["funnel"] for text in (step["label"], shown(step["count"]))
    ]

    # the rows each rule excluded
    exclusions = {(row["rule"], row["unit"]): row for row in figures["exclusions"]}
    assert {key: row["rows"] for key, row in exclusions.items()} == expected_exclusions(build)
    for (rule, _), row in exclusions.items():
        assert row["applies"] is (policy == "strict" or rule == "no_consent"), row
        cells = [
            f"{row['label']} ({rule})",
            row["unit"],
            shown(row["rows"]),
            "yes" if row["applies"] else f"no ({policy} policy)",
        ]
        assert cells in rows, cells
    if policy == "strict":
        # README: the 2023 export loses the 8,956 phone readings taken before consent
        assert exclusions[("taken_after_consent", "phone readings")]["rows"] == 8956
        assert exclusions[("paired_with_owner", "reading pairs")]["rows"] > 0

    # no quarantine in the course export, no erasure requested
    assert figures["quarantine"] == {"lines": 0, "groups": []}
    assert "No landing line was quarantined." in page.text
    assert figures["erasures"] == {"log": "landing.erasure_log", "erasures": 0}
    assert "No erasure carried out." in page.text

    # every privacy test of this policy ran and passed, unit tests of the rules included
    tests = {test["name"]: test for test in figures["privacy_tests"]}
    assert "no_data_without_consent" in tests
    assert (
        "consent_boundary_strict" in tests
        and tests["consent_boundary_strict"]["kind"] == "unit test"
    )
    assert ("machine_learning_pairs_one_customer" in tests) is (policy == "strict")
    assert {test["status"] for test in tests.values()} == {"pass"}
    for test in tests.values():
        assert [test["name"], test["kind"], "pass", "0"] in rows

    # the key behind subject_id: the tests' builds generate their own, named by the variable
    assert figures["pseudonym_key"]["origin"] == "generated"
    assert "STEDI_PSEUDONYM_KEY_FILE" in figures["pseudonym_key"]["source"]
    key = (build.root / "pseudonym.key").read_text().strip()
    assert key not in html and key not in json.dumps(figures)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("chromium is not installed: apt-get install -y chromium (.ci/run installs it)")
    return found


def screenshot(html: Path, png: Path, profile: Path) -> None:
    """The page as a person opens it: a file URL, no network, no script."""
    flags = ["--headless", "--disable-gpu", "--disable-quic", "--no-first-run"]
    flags += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
    if os.geteuid() == 0:
        flags.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    result = subprocess.run(
        [chromium(), *flags, f"--user-data-dir={profile}", f"--screenshot={png}"]
        + ["--window-size=1200,2600", html.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and png.exists(), result.stdout + result.stderr


def png_pixels(path: Path) -> tuple[int, int, list[bytes], int]:
    """Width, height, unfiltered rows and bytes per pixel of an 8-bit RGB(A) PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, idat = 8, b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    assert depth == 8 and colour in (2, 6), (depth, colour)
    step = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * step
    rows: list[bytes] = []
    previous = bytes(stride)
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up, corner = previous[i], previous[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - corner
                nearest = min(
                    (abs(guess - left), left), (abs(guess - up), up), (abs(guess - corner), corner)
                )
                line[i] = (line[i] + nearest[1]) & 0xFF
        rows.append(bytes(line))
        previous = rows[-1]
    return width, height, rows, step


def test_the_page_renders_offline_in_headless_chromium(built, tmp_path):
    build = built("course-v2", require_course_data(COURSE_V2), "strict")
    _, html, path = report_of(build)
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    png = build.root / "privacy-report.png"
    screenshot(path, png, tmp_path / "chromium-profile")
    width, height, rows, step = png_pixels(png)
    assert (width, height) == (1200, 2600)
    pixels = [row[i : i + 3] for row in rows[::4] for i in range(0, len(row), step * 4)]
    not_white = sum(1 for pixel in pixels if pixel != b"\xff\xff\xff")
    assert not_white > len(pixels) * 0.02, "the screenshot is (nearly) blank"
    # the funnel's bars were drawn, and the published banner's green
    assert sum(1 for pixel in pixels if tuple(pixel) == BAR_COLOUR) > 100
    assert any(tuple(pixel) == (0xE3, 0xF3, 0xE3) for pixel in pixels)


@pytest.fixture(scope="module")
def failed_build(tmp_path_factory) -> Build:
    """Bad input with personal data in its rejected lines, an erasure log in the database,
    and the consent rule broken, so a privacy test fails and nothing is published."""
    root = tmp_path_factory.mktemp("report-failed")
    write_bad_landing(root / "landing")
    (root / "build").mkdir()
    # three erasures in the erasure log (stedi/erasure.py writes it; no personal data)
    log = root / "landing" / "erasure_log" / "erasures.jsonl"
    log.parent.mkdir(parents=True)
    log.write_text(
        "".join(
            json.dumps({"key_hash": f"{n:064x}", "kind": "request", "build_id": "b"}) + "\n"
            for n in range(3)
        )
    )
    result = build_with_injected_fault(
        root / "project",
        root / "build",
        root / "landing",
        "models/intermediate/customer_trusted.sql",
        "where research_consent_ms is not null",
        "where true",
        STEDI_PSEUDONYM_KEY=CONFIGURED_KEY,
    )
    return Build(landing=root / "landing", root=root / "build", policy="strict", result=result)


def personal_data(build: Build) -> set[str]:
    """Every e-mail, name, phone, birthday and serial number of the landing data: the valid
    records' and the rejected lines' (those that parse), at least 6 characters long."""
    values = {
        value
        for row in build.query(
            "select email, customer_name, phone, birth_day, serial_number from landing.customer_landing"
        )
        for value in row
        if value
    }
    for (line,) in build.query(
        "select rejected_line from landing.rejected_records"
        " where source_name = 'customer' and rejected_line is not null"
    ):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            for key in ("email", "customerName", "phone", "birthDay", "serialNumber"):
                if isinstance(record.get(key), str):
                    values.add(record[key])
    values |= {value.strip() for value in values} | {HOSTILE_NAME[:40], "Ann Example", "8015551212"}
    return {value for value in values if len(value) >= 6}


def test_a_failed_build_reports_why_it_was_not_published(failed_build, tmp_path):
    assert failed_build.result.returncode != 0
    figures, html, path = report_of(failed_build)
    page = Page(html)
    assert figures["build"]["published"] is False
    assert "no_data_without_consent" in figures["build"]["not_published_reason"]
    assert "Not published: the build did not pass" in page.text

    tests = {test["name"]: test for test in figures["privacy_tests"]}
    assert tests["no_data_without_consent"]["status"] == "fail"
    assert tests["no_data_without_consent"]["failures"] > 0
    assert next(row[:3] for row in page.rows() if row and row[0] == "no_data_without_consent") == [
        "no_data_without_consent",
        "data test",
        "fail",
    ]

    # the figures are those of this build's relations, even unpublished
    for zone in figures["zones"]:
        if zone["rows"] is not None:
            built_as = f"select count(*) from {zone['built_as']}"
            assert zone["rows"] == one(failed_build, built_as), zone
    assert "(this build: trusted_audit.customer_trusted)" in page.text

    # a key from the environment is named as configured, and never shown
    assert figures["pseudonym_key"] == {
        "origin": "configured",
        "source": "environment variable STEDI_PSEUDONYM_KEY",
    }
    assert CONFIGURED_KEY not in html and CONFIGURED_KEY not in json.dumps(figures)

    # the erasure log of the database is counted
    assert figures["erasures"] == {"log": "landing.erasure_log", "erasures": 3}
    assert "3 erasures in landing.erasure_log." in page.text

    # the red banner is what a reviewer sees first
    png = failed_build.root / "privacy-report.png"
    screenshot(path, png, tmp_path / "chromium-profile")
    _, _, rows, step = png_pixels(png)
    banner = [row[i : i + 3] for row in rows[60:140] for i in range(0, len(row), step * 4)]
    assert sum(1 for pixel in banner if tuple(pixel) == (0xFB, 0xE4, 0xE4)) > 100


def test_quarantine_examples_show_where_and_the_shape_never_personal_data(failed_build):
    figures, html, _ = report_of(failed_build)
    quarantine = figures["quarantine"]
    expected = failed_build.query(
        """select source_name, rejection_reason, coalesce(rejected_field, ''), count(*),
            min(source_file || ':' || lpad(line_number::varchar, 9, '0'))
        from landing.rejected_records group by all order by all"""
    )
    assert quarantine["lines"] == one(failed_build, "select count(*) from landing.rejected_records")
    assert quarantine["lines"] > 0
    groups = quarantine["groups"]
    assert [(g["source"], g["reason"], g["field"], g["lines"]) for g in groups] == [
        row[:4] for row in expected
    ]
    rows = Page(html).rows()
    for group, row in zip(groups, expected, strict=True):
        file, line = row[4].rsplit(":", 1)
        assert (group["example"]["file"], group["example"]["line_number"]) == (
            Path(file).name,
            int(line),
        )
        assert group["example"]["shape"] or group["reason"] == "empty_line", group
        shown_row = [
            group["source"],
            group["reason"],
            group["field"] or "whole line",
            f"{group['lines']:,}",
        ]
        assert any(cells[:4] == shown_row for cells in rows), shown_row
    # a customer line keeps its keys and shows its values' shape only
    missing_email = next(g for g in groups if g["field"] == "email")
    assert missing_email["example"]["shape"].startswith(
        '{"customerName": "xxx xxxxxxx", "phone": "9999999999", "birthDay": "999-99-99"'
    )

    # the rejected lines hold personal data, so an unmasked example would be caught
    personal = personal_data(failed_build)
    raw = "\n".join(
        line
        for (line,) in failed_build.query("select rejected_line from landing.rejected_records")
        if line
    )
    assert {"Ann Example", "8015551212"} <= {value for value in personal if value in raw}
    leaked = {
        value
        for value in personal
        if value in html or value in json.dumps(figures, ensure_ascii=False)
    }
    assert not leaked


def test_make_report_prints_where_the_report_is(built):
    build = built("course-v2", require_course_data(COURSE_V2), "strict")
    _, _, path = report_of(build)
    result = subprocess.run(
        [sys.executable, "-m", "stedi.report"],
        cwd=PROJECT_DIR,
        env={**os.environ, "STEDI_DUCKDB": str(build.database), "CI": "1"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "curated.machine_learning_curated" in result.stdout  # the text summary stays
    assert f"(published): {path.as_uri()}" in result.stdout


def test_stedi_report_dir_moves_it_and_an_unwritable_one_is_one_clear_line(tmp_path):
    landing = require_course_data(COURSE_V2)
    elsewhere = tmp_path / "reports"
    ran = run_dbt(
        ["run", "--select", "+customer_landing"],
        tmp_path / "a",
        landing,
        STEDI_REPORT_DIR=str(elsewhere),
    )
    assert ran.returncode == 0, ran.stdout[-3000:]
    figures = json.loads((elsewhere / "privacy-report.json").read_text())
    assert figures["build"]["published"] is False
    assert figures["build"]["not_published_reason"].startswith("`dbt run` does not build")
    assert not (tmp_path / "a" / "privacy-report.html").exists()

    blocked = tmp_path / "a-file"
    blocked.write_text("")
    ran = run_dbt(
        ["run", "--select", "+customer_landing"],
        tmp_path / "b",
        landing,
        STEDI_REPORT_DIR=str(blocked),
    )
    assert ran.returncode != 0
    assert (
        f"The privacy report could not be written to {blocked}/privacy-report.html: " in ran.stdout
    )
    assert "Traceback" not in ran.stdout + ran.stderr
