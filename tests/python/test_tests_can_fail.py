"""Every data test can fail: on a small crafted landing folder the project passes, and a copy
of the project with realistic faults makes each test that guards against them fail.

The faults are the mistakes the tests exist for: a lost de-duplication, a broken
latest-record rule, a join to the wrong parent, a dropped consent filter. `dbt run` then
`dbt test` (not `dbt build`) so that a failing upstream test cannot skip the others.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import BIN_DIR, assert_succeeded, build, copy_project_with_faults, dbt_environment

T0 = 1_700_000_000_000  # 2023-11-14, inside the plausible range
ACCELEROMETER = "models/intermediate/accelerometer_trusted.sql"
STEP_TRAINER = "models/intermediate/step_trainer_trusted.sql"
# de-duplication lost: identical re-sent lines become two readings
LOST_DEDUPLICATION = (
    ACCELEROMETER,
    "count(*) as landing_copies\n    from consented_readings\n    group by customer_number, reading_ms, x, y, z",
    "1 as landing_copies\n    from consented_readings",
)
FAULTS = [
    LOST_DEDUPLICATION,
    (
        STEP_TRAINER,
        "count(*) as landing_copies\n    from attributable_readings\n    group by serial_number, sensor_reading_ms, distance_from_object",
        "1 as landing_copies\n    from attributable_readings",
    ),
    # every record counts under strict too: a customer's older record is trusted
    (
        "macros/consent/consent_rules.sql",
        "policy_rule(strict=is_current_record, rubric='true')",
        "policy_rule(strict='true', rubric='true')",
    ),
    # phone readings joined to every customer record, with no consent filter
    (ACCELEROMETER, "from {{ ref('customer_trusted') }}", "from {{ ref('customer_records') }}"),
    (
        ACCELEROMETER,
        "{{ taken_after_consent('accelerometer_landing.reading_ms', 'consenting_customers.research_consent_ms') }}",
        "true",
    ),
    # device readings of trusted customers who are not curated
    (STEP_TRAINER, "from {{ ref('customer_curated') }}", "from {{ ref('customer_trusted') }}"),
]
EXPECTED_FAILURES = [
    "unique_combination_accelerometer_trusted_",
    "unique_combination_step_trainer_trusted_",
    "unique_combination_customer_trusted_",
    "unique_combination_customer_curated_",
    "unique_combination_machine_learning_curated_",
    "relationships_accelerometer_trusted_",
    "relationships_step_trainer_trusted_",
    "no_data_without_consent",
]


def customer(name: str, serial: str, updated: int, consent: int | None) -> dict:
    record = {
        "customerName": name,
        "email": f"{name}@example.com",
        "phone": "8015551212",
        "birthDay": "1990-01-01",
        "serialNumber": serial,
        "registrationDate": T0,
        "lastUpdateDate": T0 + updated,
    }
    if consent is not None:
        record["shareWithResearchAsOfDate"] = T0 + consent
    return record


def write_lines(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(record) + "\n" for record in records))


def crafted_landing(root: Path) -> Path:
    """ann re-exported, bob never consenting, cat with re-sent lines, dan without phone data."""
    landing = root / "landing"
    write_lines(
        landing / "customer" / "customers.json",
        [
            customer("ann", "dev-ann", updated=0, consent=0),
            customer("ann", "dev-ann", updated=10, consent=0),
            customer("bob", "dev-bob", updated=0, consent=None),
            customer("cat", "dev-cat", updated=0, consent=0),
            customer("dan", "dev-dan", updated=0, consent=0),
        ],
    )
    phone = [
        {"user": f"{name}@example.com", "timestamp": T0 + 100, "x": 1.0, "y": 0.0, "z": 0.0}
        for name in ("ann", "bob", "cat", "cat")
    ]
    write_lines(landing / "accelerometer" / "phone.json", phone)
    device = [
        {"sensorReadingTime": T0 + 100, "serialNumber": serial, "distanceFromObject": 200}
        for serial in ("dev-ann", "dev-cat", "dev-cat", "dev-dan")
    ]
    write_lines(landing / "step_trainer" / "device.json", device)
    return landing


def test_each_guarding_test_fails_on_its_fault(tmp_path):
    landing = crafted_landing(tmp_path)
    assert_succeeded(build(landing, tmp_path / "sound"))

    project = copy_project_with_faults(tmp_path / "faulty-project", FAULTS)
    env = dbt_environment(tmp_path / "faulty", landing, DBT_PROFILES_DIR=str(project))
    dbt = str(BIN_DIR / "dbt")
    ran = subprocess.run(
        [dbt, "run"], cwd=project, env=env, capture_output=True, text=True, timeout=600
    )
    assert_succeeded(ran)
    tested = subprocess.run(
        [dbt, "test", "--exclude-resource-type", "unit_test"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert tested.returncode != 0
    failed = [line for line in tested.stdout.splitlines() if "Failure in test " in line]
    for name in EXPECTED_FAILURES:
        assert any(f"Failure in test {name}" in line for line in failed), (name, failed)
