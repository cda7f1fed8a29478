"""The privacy report's page: figures in, one static HTML file and its JSON out.

Every figure is computed in SQL by the on-run-end hook (macros/report/privacy_report.sql)
and handed over as JSON through the DuckDB UDF `stedi_write_privacy_report`, which the
dbt plugin registers (stedi/dbt_plugin.py). This module only adds what SQL cannot know (how
the pseudonym key was provided, never the key) and renders: no figure is computed here.
The page has no script and loads nothing: the funnel is inline SVG, so it reads offline and
in a mail attachment. docs/privacy-report.md describes every section.
"""

from __future__ import annotations

import datetime
import json
import os
from html import escape
from pathlib import Path
from typing import Any

from stedi import keys


def key_provenance(origin: str) -> dict[str, str]:
    """How the key behind subject_id was provided; the key itself never leaves keys.py."""
    if origin == "configured":
        return {"origin": "configured", "source": f"environment variable {keys.KEY_ENV}"}
    named = bool(os.environ.get(keys.KEY_FILE_ENV))
    return {
        "origin": "generated",
        "source": (
            f"key file named by {keys.KEY_FILE_ENV}: {keys.key_file()}"
            if named
            else f"local key file generated once: {keys.key_file()}"
        ),
    }


def privacy_unit_tests(manifest: Path) -> set[str] | None:
    """The unit tests the manifest tags `privacy` (a unit test's result has no tags); None
    when dbt wrote no manifest (--no-write-json)."""
    if not manifest.exists():
        return None
    unit_tests = json.loads(manifest.read_text())["unit_tests"]
    return {
        unique_id
        for unique_id, unit_test in unit_tests.items()
        if "privacy" in (unit_test.get("config", {}).get("tags") or [])
    }


def write_report(figures_json: str, html_path: str, key_origin: str, manifest: Path) -> str:
    """Writes <html_path> and the same figures as <name>.json, each atomically (a reader sees
    the old report or the new one); returns the HTML file's absolute path."""
    figures = json.loads(figures_json)
    if any(test["tagged"] is None for test in figures["privacy_tests"]):
        tagged = privacy_unit_tests(manifest)
        # without a manifest every unit test stays, marked as of unknown tags
        figures["privacy_tests"] = [
            {**test, "tagged": True} if tagged is not None else test
            for test in figures["privacy_tests"]
            if test["tagged"] or tagged is None or test["unique_id"] in tagged
        ]
    figures["pseudonym_key"] = key_provenance(key_origin)
    figures["build"]["written_at"] = datetime.datetime.now(datetime.UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    html_file = Path(html_path)
    html_file.parent.mkdir(parents=True, exist_ok=True)
    for path, text in (
        (html_file.with_suffix(".json"), json.dumps(figures, indent=2, ensure_ascii=False) + "\n"),
        (html_file, render(figures)),
    ):
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    return str(html_file.absolute())


def number(value: int | None) -> str:
    return "not built" if value is None else f"{value:,}"


def funnel_svg(steps: list[dict[str, Any]]) -> str:
    """Horizontal bars, one per funnel step, each labelled with its text and number."""
    width, label_width, bar_height, gap = 820, 350, 28, 14
    bar_room = width - label_width - 110
    largest = max([step["count"] or 0 for step in steps] + [1])
    height = len(steps) * (bar_height + gap) + gap
    rows = []
    for index, step in enumerate(steps):
        y = gap + index * (bar_height + gap)
        count = step["count"]
        bar = 0 if count is None else max(round(bar_room * count / largest), 2 if count else 0)
        rows.append(
            f'<text x="{label_width - 10}" y="{y + bar_height * 0.68:.0f}" text-anchor="end">'
            f"{escape(step['label'])}</text>"
            f'<rect x="{label_width}" y="{y}" width="{bar}" height="{bar_height}" rx="3"'
            f' fill="#2f6f9f"/>'
            f'<text x="{label_width + bar + 8}" y="{y + bar_height * 0.68:.0f}"'
            f' font-weight="bold">{number(count)}</text>'
        )
    described = "; ".join(f"{step['label']}: {number(step['count'])}" for step in steps)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" aria-labelledby="funnel-title funnel-desc"'
        ' font-family="system-ui, sans-serif" font-size="15" fill="#1a1a1a">'
        '<title id="funnel-title">Consent funnel (customers)</title>'
        f'<desc id="funnel-desc">{escape(described)}</desc>' + "".join(rows) + "</svg>"
    )


def table(headers: list[str] | None, rows: list[list[str]], numeric: set[int] | None = None) -> str:
    """Cells are HTML already escaped by the caller; `numeric` columns align right."""
    numeric = numeric or set()
    head = "".join(f"<th>{escape(header)}</th>" for header in headers or [])
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{cell}</td>' if index in numeric else f"<td>{cell}</td>"
            for index, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    thead = f"<thead><tr>{head}</tr></thead>" if head else ""
    return f"<table>{thead}<tbody>{body}</tbody></table>"


def built_as(zone: dict[str, Any], published: bool) -> str:
    """An unpublished build's tables are not where consumers read: say where they are."""
    if published or not zone["built_as"] or zone["built_as"] == zone["relation"]:
        return ""
    return f' <span class="muted">(this build: {escape(zone["built_as"])})</span>'


STATUS_CLASS = {"pass": "ok", "success": "ok", "fail": "bad", "error": "bad", "warn": "warn"}

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #1a1a1a;
       padding: 0 1rem; line-height: 1.4; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #ccc; padding: .25rem .6rem; text-align: left; vertical-align: top; }
th { background: #eef2f5; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { background: #f3f3f3; padding: 0 .2rem; word-break: break-all; }
.banner { padding: .6rem 1rem; border-radius: 4px; font-weight: bold; }
.published { background: #e3f3e3; border: 1px solid #5a9a5a; }
.unpublished { background: #fbe4e4; border: 1px solid #b44; }
.ok { color: #1d6b1d; font-weight: bold; } .bad { color: #b00; font-weight: bold; }
.warn { color: #8a5a00; font-weight: bold; } .muted { color: #555; }
"""


def render(figures: dict[str, Any]) -> str:
    build = figures["build"]
    sections = []
    if build["published"]:
        banner = '<p class="banner published">Published: consumers read this build\'s tables.</p>'
    else:
        banner = (
            '<p class="banner unpublished">Not published: '
            f"{escape(build['not_published_reason'] or '')}. Consumers keep the previous"
            " tables; the figures below are this build's own.</p>"
        )
    sections.append(
        "<h2>Build</h2>"
        + table(
            None,
            [
                ["build id", f"<code>{escape(build['build_id'])}</code>"],
                ["command", escape(build["command"]) + f" (target {escape(build['target'])})"],
                ["consent policy", f"<strong>{escape(build['policy'])}</strong>"],
                ["landing", f"<code>{escape(build['landing'])}</code>"],
                ["lake", f"<code>{escape(build['lake'])}</code>"],
                ["started", escape(build["started_at"])],
                ["report written", escape(build["written_at"])],
            ],
        )
    )
    key = figures["pseudonym_key"]
    sections.append(
        "<h2>Pseudonym key</h2>"
        f"<p><strong>{escape(key['origin'])}</strong>: {escape(key['source'])}."
        " The key itself is never written here.</p>"
    )
    sections.append(
        "<h2>Rows per zone</h2>"
        + table(
            ["zone", "relation", "rows"],
            [
                [
                    escape(row["zone"]),
                    f"<code>{escape(row['relation'])}</code>" + built_as(row, build["published"]),
                    number(row["rows"]),
                ]
                for row in figures["zones"]
            ],
            {2},
        )
    )
    sections.append(
        "<h2>Consent funnel</h2>"
        '<p class="muted">Customers at each step; the last counts distinct subjects.</p>'
        + funnel_svg(figures["funnel"])
    )
    sections.append(
        "<h2>Rows each rule excluded</h2>"
        '<p class="muted">Each rule counted on its own input; a row can fall under'
        " several rules. A rule the policy does not apply excludes nothing.</p>"
        + table(
            ["rule", "what", "rows excluded", "applied"],
            [
                [
                    escape(row["label"]) + f' <span class="muted">({escape(row["rule"])})</span>',
                    escape(row["unit"]),
                    number(row["rows"]),
                    "yes" if row["applies"] else f"no ({escape(build['policy'])} policy)",
                ]
                for row in figures["exclusions"]
            ],
            {2},
        )
    )
    quarantine = figures["quarantine"]
    if quarantine is None:
        quarantined = "<p>The quarantine (landing.rejected_records) was not built.</p>"
    elif not quarantine["groups"]:
        quarantined = "<p>No landing line was quarantined.</p>"
    else:
        quarantined = (
            f"<p>{number(quarantine['lines'])} landing lines quarantined. Examples show"
            " where a line is and its shape: values masked (digits as 9, letters as x),"
            " never personal data.</p>"
            + table(
                ["source", "reason", "field", "lines", "example (file:line, length)", "shape"],
                [
                    [
                        escape(group["source"]),
                        escape(group["reason"]),
                        escape(group["field"]) or '<span class="muted">whole line</span>',
                        number(group["lines"]),
                        f"{escape(group['example']['file'])}:{group['example']['line_number']}"
                        f" ({group['example']['length']:,} chars)",
                        f"<code>{escape(group['example']['shape'])}</code>"
                        if group["example"]["shape"]
                        else '<span class="muted">no text</span>',
                    ]
                    for group in quarantine["groups"]
                ],
                {3},
            )
        )
    sections.append("<h2>Quarantine</h2>" + quarantined)
    erasures = figures["erasures"]
    sections.append(
        "<h2>Erasures carried out</h2>"
        + (
            "<p>None requested: this build has no erasure log.</p>"
            if erasures["log"] is None
            else "<p>No erasure carried out.</p>"
            if erasures["erasures"] == 0
            else f"<p>{number(erasures['erasures'])} erasures in"
            f" <code>{escape(erasures['log'])}</code>.</p>"
        )
    )
    tests = figures["privacy_tests"]
    sections.append(
        "<h2>Privacy tests</h2>"
        + table(
            ["test", "kind", "result", "failures"],
            [
                [
                    f"<code>{escape(test['name'])}</code>",
                    escape(test["kind"])
                    + ("" if test["tagged"] else " (tags unknown: no manifest.json)"),
                    f'<span class="{STATUS_CLASS.get(test["status"], "muted")}">'
                    f"{escape(test['status'])}</span>",
                    "" if test["failures"] is None else number(test["failures"]),
                ]
                for test in tests
            ],
            {3},
        )
        if tests
        else "<p>No test tagged <code>privacy</code> ran.</p>"
    )
    title = f"STEDI privacy report: build {build['build_id']} ({build['policy']})"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>STEDI privacy report</h1>{banner}" + "".join(sections) + "</body></html>\n"
    )
