"""A landing folder with one example of each kind of bad input, and where each line belongs.

`write_bad_landing(folder)` writes the files and returns the expected outcome of every
line, keyed by (source, file name, line number): ("accepted", None), or the quarantine
reason and the rejected JSON key (None for a problem of the whole line).
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


Outcome = tuple[str, str | None]
ACCEPTED: Outcome = ("accepted", None)

# Lines with several faults: the first failing check decides, in one order on both engines
# (README, bad input): missing required keys in declared order, then per key in declared
# order wrong_type before out_of_range. (* = the order Spark used before gave another verdict.)
SEVERAL_FAULTS_FILE = "-several-faults.json"
SEVERAL_FAULTS: dict[str, list[tuple[bytes, Outcome]]] = {
    "customer": [
        # * out of range, then the wrong type in a later key (issue 11's example)
        (
            b'{"customerName":"a","email":"a@b.c","serialNumber":"s",'
            b'"registrationDate":-5,"lastUpdateDate":"x"}',
            ("out_of_range", "registrationDate"),
        ),
        # the wrong type, then out of range in a later key
        (
            b'{"customerName":"a","email":"a@b.c","serialNumber":"s",'
            b'"registrationDate":"x","lastUpdateDate":-5}',
            ("wrong_type", "registrationDate"),
        ),
        # a nested object where text belongs, but a required key is missing
        (
            b'{"customerName":{"first":"a"},"email":"a@b.c",'
            b'"registrationDate":1655564376361,"lastUpdateDate":1655564376361}',
            ("missing_required_field", "serialNumber"),
        ),
        # * an epoch out of range, then a nested object in a later key
        (
            b'{"customerName":"a","email":"a@b.c","serialNumber":"s",'
            b'"registrationDate":99999999999999,"lastUpdateDate":1655564376361,'
            b'"shareWithResearchAsOfDate":{"at":1655564376361}}',
            ("out_of_range", "registrationDate"),
        ),
        # a nested object, then an epoch out of range in a later key
        (
            b'{"customerName":["a"],"email":"a@b.c","serialNumber":"s",'
            b'"registrationDate":-5,"lastUpdateDate":1655564376361}',
            ("wrong_type", "customerName"),
        ),
        # two keys missing and one of the wrong type: the first required key in declared order
        (
            b'{"customerName":"a","registrationDate":true,"lastUpdateDate":1655564376361}',
            ("missing_required_field", "email"),
        ),
    ],
    "accelerometer": [
        # a NaN in text, but a required key is missing
        (
            b'{"user":"bob@example.com","timestamp":1655564376700,"x":"NaN","y":0.0}',
            ("missing_required_field", "z"),
        ),
        # * a NaN or an infinity in text is a number out of range, not text
        (
            b'{"user":"bob@example.com","timestamp":1655564376700,"x":"NaN","y":0.0,"z":0.0}',
            ("out_of_range", "x"),
        ),
        (
            b'{"user":"bob@example.com","timestamp":1655564376700,"x":0.0,"y":"-Infinity","z":"abc"}',
            ("out_of_range", "y"),
        ),
        # * keys in another case: an epoch out of range, then text where a number belongs
        (
            b'{"User":"bob@example.com","TimeStamp":-1,"X":"abc","y":0.0,"z":0.0}',
            ("out_of_range", "timestamp"),
        ),
        # a boolean where a number belongs, then a NaN
        (
            b'{"user":"bob@example.com","timestamp":false,"x":"NaN","y":0.0,"z":0.0}',
            ("wrong_type", "timestamp"),
        ),
    ],
    "step_trainer": [
        # a fraction, then an integer too large in a later key
        (
            b'{"sensorReadingTime":1655564376800.5,"serialNumber":"dev-eve","distanceFromObject":1e16},',
            ("wrong_type", "sensorReadingTime"),
        ),
        # * an epoch out of range, then a fraction in a later key
        (
            b'{"sensorReadingTime":-5,"serialNumber":"dev-eve","distanceFromObject":2.5},',
            ("out_of_range", "sensorReadingTime"),
        ),
        # too large to be exact, then a nested array in a later key
        (
            b'{"sensorReadingTime":1e16,"serialNumber":["dev-eve"],"distanceFromObject":2},',
            ("out_of_range", "sensorReadingTime"),
        ),
    ],
}


def write_bad_landing(folder: Path) -> dict[tuple[str, str, int], Outcome]:
    expected: dict[tuple[str, str, int], Outcome] = {}

    def write(
        source: str, name: str, lines: list[tuple[bytes, Outcome]], *, ending: bytes = b"\n"
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
            (line(customer("Ann@Example.com", "dev-ann")), ACCEPTED),
            # a later record of the same customer (other case, spaces) withdraws consent
            (
                line(
                    customer(" ann@example.COM ", "dev-ann", consent=None, updated=CONSENT_MS + 10)
                ),
                ACCEPTED,
            ),
            (line(customer("bob@example.com", "dev-bob")), ACCEPTED),
            (line(customer("cat@example.com", "dev-shared")), ACCEPTED),
            (line(customer("dan@example.com", "dev-shared")), ACCEPTED),
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
                ACCEPTED,
            ),
            # a trailing comma after the object is tolerated
            (line(customer("fay@example.com", "dev-fay")) + b",", ACCEPTED),
            (b'{"customerName": "Truncated", "email": "t@example.com"', ("invalid_json", None)),
            (b"", ("empty_line", None)),
            (b"   \t ", ("empty_line", None)),
            (b"[1, 2, 3]", ("not_a_json_object", None)),
            (b'"just a string"', ("not_a_json_object", None)),
            (
                line({k: v for k, v in customer("x@example.com", "s").items() if k != "email"}),
                ("missing_required_field", "email"),
            ),
            (
                line(customer("y@example.com", "s", registrationDate="yesterday")),
                ("wrong_type", "registrationDate"),
            ),
            (
                line(customer("z@example.com", "s", lastUpdateDate=12.5)),
                ("wrong_type", "lastUpdateDate"),
            ),
            (
                line(customer("w@example.com", "s", registrationDate=-5)),
                ("out_of_range", "registrationDate"),
            ),
            (b'{"email": "bad\xff\xfe@example.com"}', ("invalid_encoding", None)),
            (b"\x00\x01\x02 binary garbage \x1b[31m", ("invalid_json", None)),
            (b"'; drop table trusted.customer_trusted; --", ("invalid_json", None)),
        ],
    )
    write(
        "accelerometer",
        "accelerometer-1.json.gz",
        [
            # the 2022 export's key spelling
            (
                b'{"user":"bob@example.com","timeStamp":1655564376400,"x":1.0,"y":0.0,"z":-1.0}',
                ACCEPTED,
            ),
            # an exact duplicate: accepted in landing, kept once in trusted
            (
                b'{"user":"bob@example.com","timestamp":1655564376500,"x":1.0,"y":0.0,"z":-1.0}',
                ACCEPTED,
            ),
            (
                b'{"user":"bob@example.com","timestamp":1655564376500,"x":1.0,"y":0.0,"z":-1.0}',
                ACCEPTED,
            ),
            (
                b'{"user":"bob@example.com","timestamp":"1655564376600","x":"0.0","y":1,"z":0}',
                ACCEPTED,
            ),
            (
                b'{"user":"cat@example.com","timestamp":1655564376600,"x":0.0,"y":0.0,"z":0.0}',
                ACCEPTED,
            ),
            (
                b'{"user":"eve@example.com","timestamp":1655564376700,"x":0.0,"y":0.0,"z":0.0}',
                ACCEPTED,
            ),
            (
                b'{"user":"bob@example.com","timestamp":1655564376700,"x":"abc","y":0.0,"z":0.0}',
                ("wrong_type", "x"),
            ),
            (
                b'{"timestamp":1655564376700,"x":0.0,"y":0.0,"z":0.0}',
                ("missing_required_field", "user"),
            ),
            (
                b'{"user":"bob@example.com","timestamp":1655564376700.5,"x":0,"y":0,"z":0}',
                ("wrong_type", "timestamp"),
            ),
            (
                b'{"user":"bob@example.com","timestamp":99999999999999,"x":0,"y":0,"z":0}',
                ("out_of_range", "timestamp"),
            ),
        ],
    )
    write(
        "step_trainer",
        "step_trainer-1.json",
        [
            (
                b'{"sensorReadingTime":1655564376500,"serialNumber":"dev-bob","distanceFromObject":218},',
                ACCEPTED,
            ),
            (
                b'{"sensorReadingTime":1655564376600,"serialNumber":"dev-bob","distanceFromObject":"230"},',
                ACCEPTED,
            ),
            (
                b'{"sensorReadingTime":1655564376600,"serialNumber":"dev-shared","distanceFromObject":240},',
                ACCEPTED,
            ),
            (
                b'{"sensorReadingTime":1655564376700,"serialNumber":"dev-eve","distanceFromObject":250},',
                ACCEPTED,
            ),
            (
                b'{"sensorReadingTime":1655564376700,"serialNumber":"dev-eve","distanceFromObject":[1]},',
                ("wrong_type", "distanceFromObject"),
            ),
            (
                # too large to be an exact integer: never accepted with the value lost
                b'{"sensorReadingTime":1655564376800,"serialNumber":"dev-eve","distanceFromObject":1e16},',
                ("out_of_range", "distanceFromObject"),
            ),
        ],
        ending=b"\r\n",
    )
    for source, lines in SEVERAL_FAULTS.items():
        write(source, f"{source}{SEVERAL_FAULTS_FILE}", lines)
    return expected
