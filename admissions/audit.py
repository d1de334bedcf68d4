"""The hash chain of the access records.

Each AccessRecord carries the hash of the record before it (`prev_hash`) and its
own hash (`row_hash`) over that and its fields, so an edited, removed or
inserted record breaks the chain from there on (`manage.py verify_access_log`).
Pure functions: the migrations use them too.
"""

import hashlib
import json
from datetime import UTC, datetime

GENESIS_HASH = ""  # the prev_hash of the first record


def record_digest(
    *,
    prev_hash: str,
    created_at: datetime,
    username: str,
    intake_id: int | None,
    action: str,
    detail: str,
    phone_hash: str,
) -> str:
    """SHA-256 (hex) of a record's fields and the hash of the record before it.

    The user's id is left out: the username is what the record keeps of them.
    """
    payload = json.dumps(
        [
            prev_hash,
            created_at.astimezone(UTC).isoformat(),
            username,
            intake_id,
            action,
            detail,
            phone_hash,
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
