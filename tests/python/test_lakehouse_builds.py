"""Whole builds of the lakehouse, checked from outside dbt.

The course export (in ../shared, never in the repository) must give the course's
published counts under the rubric policy; every build must agree with the
independent Python reference implementation in both policies.
"""

from __future__ import annotations

import pytest
from conftest import COURSE_V1, COURSE_V2, require_course_data
from reference import expected_counts

# The course's published row counts (rubric reading of the 2023 export).
COURSE_RUBRIC_COUNTS = {
    "landing.customer_landing": 956,
    "landing.accelerometer_landing": 81_273,
    "landing.step_trainer_landing": 28_680,
    "trusted.customer_trusted": 482,
    "trusted.accelerometer_trusted": 40_981,
    "trusted.step_trainer_trusted": 14_460,
    "curated.customer_curated": 482,
    "curated.machine_learning_curated": 43_681,
}
PUBLISHED = [name for name in COURSE_RUBRIC_COUNTS if not name.startswith("landing.")]


@pytest.fixture(params=["strict", "rubric"])
def policy(request: pytest.FixtureRequest) -> str:
    return request.param


def test_course_export_rubric_gives_the_course_counts_in_duckdb_and_parquet(built):
    course = built("course-v2", require_course_data(COURSE_V2), "rubric")
    in_database = {name: course.count(name) for name in COURSE_RUBRIC_COUNTS}
    assert in_database == COURSE_RUBRIC_COUNTS
    in_parquet = {name: course.parquet_count(*name.split(".")) for name in PUBLISHED}
    assert in_parquet == {name: COURSE_RUBRIC_COUNTS[name] for name in PUBLISHED}


@pytest.mark.parametrize(
    ("name", "landing"), [("course-v2", COURSE_V2), ("course-v1", COURSE_V1)], ids=["2023", "2022"]
)
def test_course_exports_agree_with_the_reference(name, landing, policy, built):
    course = built(name, require_course_data(landing), policy)
    expected = expected_counts(landing, policy)
    assert {relation: course.count(relation) for relation in expected} == expected
    assert course.count("landing.rejected_records") == 0


def test_generated_data_agrees_with_the_reference(generated_landing, policy, built):
    generated = built("generated", generated_landing, policy)
    expected = expected_counts(generated_landing, policy)
    assert {relation: generated.count(relation) for relation in expected} == expected
    published = {name: generated.parquet_count(*name.split(".")) for name in PUBLISHED}
    assert published == {name: expected[name] for name in PUBLISHED}
    # the generator's shape: about half consent, and strict keeps fewer readings than rubric
    assert 0.35 < expected["trusted.customer_trusted"] / expected["landing.customer_landing"] < 0.65


def test_strict_is_narrower_than_rubric_on_the_course_export(built):
    landing = require_course_data(COURSE_V2)
    strict = built("course-v2", landing, "strict")
    rubric = built("course-v2", landing, "rubric")
    for relation in PUBLISHED:
        assert strict.count(relation) <= rubric.count(relation), relation
    # readings before consent exist in the export, and only rubric keeps them
    assert strict.count("trusted.accelerometer_trusted") < rubric.count(
        "trusted.accelerometer_trusted"
    )
