"""What keeps captures processed at the same moment apart — and only those that must be.

PostgreSQL: a lead first takes transaction-level advisory locks on its person — the
normalised phones and e-mails it carries (and its company's name) — all in one statement,
in sorted order (so two leads never wait on each other in a cycle), before the dedupe probe
reads anything. Two leads of one person share a key, whatever channel they came through, so
the second sees what the first made. A lead matched to a known contact then locks that
contact (another lead may reach it by a phone or e-mail this one does not carry) before it
looks for the contact's open deal. The distribution turn (distribution.py) is the channel
row, updated only when a new deal is made, just before the inserts. Leads of different
people never wait for each other; the locks go with the transaction.

SQLite: transactions are IMMEDIATE (one writer at a time), nothing here is needed and
nothing is run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.db import transaction


def _key(text: str) -> int:
    """A signed 64-bit key for ``pg_advisory_xact_lock``."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big",
                          signed=True)


def person_keys(*, phones: Iterable[str] = (), emails: Iterable[str] = (),
                company: str = "") -> list[int]:
    """The sorted lock keys of a lead's (already normalised) phones, e-mails and company."""
    keys = {_key(f"voronka.capture.phone:{p}") for p in phones}
    keys |= {_key(f"voronka.capture.email:{e}") for e in emails}
    if company:
        keys.add(_key(f"voronka.capture.company:{company[:300].casefold()}"))
    return sorted(keys)


def people_sql(connection: Any, keys: list[int]) -> tuple[str, list[Any]] | None:
    """An SQL expression that takes the advisory locks of ``keys`` (in their order), to be
    read in the lead's first statement; None where no lock is needed (SQLite, no keys)."""
    if connection.vendor != "postgresql" or not keys:
        return None
    return ("(SELECT COUNT(*) FROM (SELECT pg_advisory_xact_lock(k)"
            " FROM unnest(CAST(%s AS bigint[])) AS k) AS held)", [keys])


def hold_contact(contact_id: int) -> None:
    """Lock a matched contact until commit (PostgreSQL; nothing on SQLite). Read the
    contact's open deal after this, in a new statement."""
    conn = transaction.get_connection()
    if conn.vendor != "postgresql":
        return
    with conn.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)",
                       [_key(f"voronka.capture.contact:{contact_id}")])
