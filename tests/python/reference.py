"""An independent reference implementation of the consent rules, in plain Python.

The dbt models are checked against it on real and generated data: two
implementations written separately must agree on every zone's row count.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter, defaultdict
from pathlib import Path


def landing_records(landing: Path, source: str) -> list[tuple[str, int, dict]]:
    """Valid records as (file, line number, record with lower-cased keys)."""
    records = []
    for path in sorted((landing / source).glob("*.json*")):
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                text = line.strip()
                if text.endswith("},"):
                    text = text[:-1]
                if text:
                    record = json.loads(text)
                    records.append((str(path), number, {k.lower(): v for k, v in record.items()}))
    return records


def expected_counts(landing: Path, policy: str) -> dict[str, int]:
    customers = landing_records(landing, "customer")
    phone = [r for _, _, r in landing_records(landing, "accelerometer")]
    device = [r for _, _, r in landing_records(landing, "step_trainer")]

    def key(email: str) -> str:
        return email.strip().lower()

    def consent(record: dict) -> int | None:
        value = record.get("sharewithresearchasofdate")
        return None if value is None else int(value)

    latest: dict[str, tuple] = {}
    for file, number, record in customers:
        rank = (int(record["lastupdatedate"]), file, number)
        customer = key(record["email"])
        if customer not in latest or rank > latest[customer][0]:
            latest[customer] = (rank, record)
    current = {customer: record for customer, (_, record) in latest.items()}

    phone_readings = {
        (key(r["user"]), int(r["timestamp"]), float(r["x"]), float(r["y"]), float(r["z"]))
        for r in phone
    }
    device_readings = {
        (r["serialnumber"], int(r["sensorreadingtime"]), int(r["distancefromobject"]))
        for r in device
    }

    if policy == "strict":
        trusted = {c: consent(r) for c, r in current.items() if consent(r) is not None}
        phone_trusted = {p for p in phone_readings if p[0] in trusted and p[1] >= trusted[p[0]]}
        curated = {p[0] for p in phone_trusted}
        owners = Counter(r["serialnumber"] for r in current.values())
        serial_owner = {
            current[c]["serialnumber"]: c
            for c in curated
            if owners[current[c]["serialnumber"]] == 1
        }
        device_trusted = {
            d
            for d in device_readings
            if d[0] in serial_owner and d[1] >= trusted[serial_owner[d[0]]]
        }
        phone_at = Counter((p[0], p[1]) for p in phone_trusted)
        machine_learning = sum(phone_at[(serial_owner[d[0]], d[1])] for d in device_trusted)
        customer_trusted, customer_curated = len(trusted), len(curated)
    else:
        consenting = [r for _, _, r in customers if consent(r) is not None]
        consenting_keys = {key(r["email"]) for r in consenting}
        phone_trusted = {p for p in phone_readings if p[0] in consenting_keys}
        users_with_readings = {p[0] for p in phone_trusted}
        curated_records = [r for r in consenting if key(r["email"]) in users_with_readings]
        curated_serials = {r["serialnumber"] for r in curated_records}
        device_trusted = {d for d in device_readings if d[0] in curated_serials}
        phone_at: defaultdict[int, int] = defaultdict(int)
        for p in phone_trusted:
            phone_at[p[1]] += 1
        machine_learning = sum(phone_at[d[1]] for d in device_trusted)
        customer_trusted, customer_curated = len(consenting), len(curated_records)

    return {
        "landing.customer_landing": len(customers),
        "landing.accelerometer_landing": len(phone),
        "landing.step_trainer_landing": len(device),
        "trusted.customer_trusted": customer_trusted,
        "trusted.accelerometer_trusted": len(phone_trusted),
        "trusted.step_trainer_trusted": len(device_trusted),
        "curated.customer_curated": customer_curated,
        "curated.machine_learning_curated": machine_learning,
    }
