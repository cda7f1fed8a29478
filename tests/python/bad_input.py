"""A landing folder with one example of each kind of bad input, and where each line belongs.

`write_bad_landing(folder)` writes the files and returns the expected outcome of every
line: "accepted" or the quarantine reason, keyed by (source, file name, line number).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

CONSENT_MS = 1_655_564_376_361
HOSTILE_NAME = (
    "Robert'); drop table landing.customer_landing; -- \" ; select 1 名前 Ωμέγα مرحبا \u0001\t"
    + "x" * 100_000
)


def customer(
    email: str, serial: str, *, consent: int | None = CONSENT_MS, updated: int = CONSENT_MS, **extra
) -> dict:
    record = {
        "customerName": "Ann Example",
        "email": email,
        "phone": "8015551212",
        "birthDay": "967-01-01",
        "serialNumber": serial,
        "registrationDate": CONSENT_MS,
        "lastUpdateDate": updated,
    }
    if consent is not None:
        record["shareWithResearchAsOfDate"] = consent
    record.update(extra)
    return record


def line(record: object) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode()


def write_bad_landing(folder: Path) -> dict[tuple[str, str, int], str]:
    expected: dict[tuple[str, str, int], str] = {}

    def write(
        source: str, name: str, lines: list[tuple[bytes, str]], *, ending: bytes = b"\n"
    ) -> None:
        path = folder / source / name
        path.parent.mkdir(parents=True, exist_ok=True)
        # the last line has no line ending
        data = ending.join(content for content, _ in lines)
        path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
        for number, (_, outcome) in enumerate(lines, start=1):
            expected[(source, name, number)] = outcome

    write(
        "customer",
        "customer-1.json",
        [
            (line(customer("Ann@Example.com", "dev-ann")), "accepted"),
            # a later record of the same customer (other case, spaces) withdraws consent
            (
                line(
                    customer(" ann@example.COM ", "dev-ann", consent=None, updated=CONSENT_MS + 10)
                ),
                "accepted",
            ),
            (line(customer("bob@example.com", "dev-bob")), "accepted"),
            (line(customer("cat@example.com", "dev-shared")), "accepted"),
            (line(customer("dan@example.com", "dev-shared")), "accepted"),
            # hostile values are data; unknown fields are ignored; numbers as strings are numbers
            (
                line(
                    customer(
                        "eve@example.com",
                        "dev-eve",
                        customerName=HOSTILE_NAME,
                        registrationDate=str(CONSENT_MS),
                        favouriteColour="blue",
                    )
                ),
                "accepted",
            ),
            # a trailing comma after the object is tolerated
            (line(customer("fay@example.com", "dev-fay")) + b",", "accepted"),
            (b'{"customerName": "Truncated", "email": "t@example.com"', "invalid_json"),
            (b"", "empty_line"),
            (b"   \t ", "empty_line"),
            (b"[1, 2, 3]", "not_a_json_object"),
            (b'"just a string"', "not_a_json_object"),
            (
                line({k: v for k, v in customer("x@example.com", "s").items() if k != "email"}),
                "missing_required_field",
            ),
            (line(customer("y@example.com", "s", registrationDate="yesterday")), "wrong_type"),
            (line(customer("z@example.com", "s", lastUpdateDate=12.5)), "wrong_type"),
            (line(customer("w@example.com", "s", registrationDate=-5)), "out_of_range"),
            (b'{"email": "bad\xff\xfe@example.com"}', "invalid_encoding"),
            (b"\x00\x01\x02 binary garbage \x1b[31m", "invalid_json"),
            (b"'; drop table trusted.customer_trusted; --", "invalid_json"),
        ],
    )
    write(
        "accelerometer",
        "accelerometer-1.json.gz",
        [
            # the 2022 export's key spelling
            (
                b'{"user":"bob@example.com","timeStamp":1655564376400,"x":1.0,"y":0.0,"z":-1.0}',
                "accepted",
            ),
            # an exact duplicate: accepted in landing, kept once in trusted
            (
                b'{"user":"bob@example.com","timestamp":1655564376500,"x":1.0,"y":0.0,"z":-1.0}',
                "accepted",
            ),
            (
                b'{"user":"bob@example.com","timestamp":1655564376500,"x":1.0,"y":0.0,"z":-1.0}',
                "accepted",
            ),
            (
                b'{"user":"bob@example.com","timestamp":"1655564376600","x":"0.0","y":1,"z":0}',
                "accepted",
            ),
            (
                b'{"user":"cat@example.com","timestamp":1655564376600,"x":0.0,"y":0.0,"z":0.0}',
                "accepted",
            ),
            (
                b'{"user":"eve@example.com","timestamp":1655564376700,"x":0.0,"y":0.0,"z":0.0}',
                "accepted",
            ),
            (
                b'{"user":"bob@example.com","timestamp":1655564376700,"x":"abc","y":0.0,"z":0.0}',
                "wrong_type",
            ),
            (b'{"timestamp":1655564376700,"x":0.0,"y":0.0,"z":0.0}', "missing_required_field"),
            (
                b'{"user":"bob@example.com","timestamp":1655564376700.5,"x":0,"y":0,"z":0}',
                "wrong_type",
            ),
            (
                b'{"user":"bob@example.com","timestamp":99999999999999,"x":0,"y":0,"z":0}',
                "out_of_range",
            ),
        ],
    )
    write(
        "step_trainer",
        "step_trainer-1.json",
        [
            (
                b'{"sensorReadingTime":1655564376500,"serialNumber":"dev-bob","distanceFromObject":218},',
                "accepted",
            ),
            (
                b'{"sensorReadingTime":1655564376600,"serialNumber":"dev-bob","distanceFromObject":"230"},',
                "accepted",
            ),
            (
                b'{"sensorReadingTime":1655564376600,"serialNumber":"dev-shared","distanceFromObject":240},',
                "accepted",
            ),
            (
                b'{"sensorReadingTime":1655564376700,"serialNumber":"dev-eve","distanceFromObject":250},',
                "accepted",
            ),
            (
                b'{"sensorReadingTime":1655564376700,"serialNumber":"dev-eve","distanceFromObject":[1]},',
                "wrong_type",
            ),
            (
                # too large to be an exact integer: never accepted with the value lost
                b'{"sensorReadingTime":1655564376800,"serialNumber":"dev-eve","distanceFromObject":1e16},',
                "out_of_range",
            ),
        ],
        ending=b"\r\n",
    )
    return expected
