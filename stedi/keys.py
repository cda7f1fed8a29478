"""The secret key behind `subject_id`.

`STEDI_PSEUDONYM_KEY` when it is set ("configured"). Otherwise a random key generated on
the first build into a local file outside git, readable by its owner only (mode 0600), and
reused by every later build ("generated"): no key that anyone else knows, and subject ids
that stay stable from build to build. `python -m stedi.keys` prints the key, for the Spark
targets (the Makefile hands it to them).
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

KEY_ENV = "STEDI_PSEUDONYM_KEY"
KEY_FILE_ENV = "STEDI_PSEUDONYM_KEY_FILE"
DEFAULT_KEY_FILE = Path(__file__).resolve().parents[1] / ".stedi" / "pseudonym.key"


def key_file() -> Path:
    return Path(os.environ.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE)


def pseudonym_key() -> tuple[str, str]:
    """(key, "configured" or "generated")."""
    configured = os.environ.get(KEY_ENV, "")
    if configured:
        return configured, "configured"
    path = key_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text().strip()
        if not key:
            raise RuntimeError(f"The pseudonym key file {path} is empty: delete it") from None
        return key, "generated"
    key = secrets.token_urlsafe(32)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key + "\n")
    return key, "generated"


def main() -> int:
    print(pseudonym_key()[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
