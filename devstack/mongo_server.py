"""nx-27017 (the local MongoDB stand-in) with one fix: `$set` of a datetime keeps it a date.

    python -m devstack.mongo_server --data-dir .data/mongo/dbs --port 27017 ...

nx-27017 0.8 (on neosqlite 1.17) runs simple updates as SQLite `json_set(..., ?)` and binds
a `datetime` value as a parameter: sqlite3 turns it into text, so
`update_one(..., {"$set": {"updated_at": now}})` stores the string "2026-01-01 12:00:00"
and later `{"lease_until": {"$lt": now}}` never matches. Inserts, replacements and
sub-documents are encoded properly. The fix sends any update carrying a date through
neosqlite's own Python update path, which encodes dates like inserts do. MongoDB Atlas
needs none of this; `tests/contract/test_mongo_contract.py` checks the result.

Also: nx-27017's per-command INFO logging is turned down to warnings unless `-v` is given.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from typing import Any


def _has_date(value: Any) -> bool:
    if isinstance(value, dt.date):
        return True
    if isinstance(value, dict):
        return any(_has_date(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_has_date(item) for item in value)
    return False


def patch_datetime_updates() -> None:
    """Make neosqlite skip its SQL update tier for updates that contain a date."""
    from neosqlite.collection.query_helper._sql_updates import SqlUpdatesMixin

    if getattr(SqlUpdatesMixin, "_paygate_patched", False):
        return
    original = SqlUpdatesMixin._can_use_sql_updates

    def can_use_sql_updates(
        self: Any, update_spec: dict[str, Any], doc_id: int, original_doc: Any = None
    ) -> bool:
        if _has_date(update_spec):
            return False
        return bool(original(self, update_spec, doc_id, original_doc))

    SqlUpdatesMixin._can_use_sql_updates = can_use_sql_updates
    SqlUpdatesMixin._paygate_patched = True


def main() -> None:
    patch_datetime_updates()
    if not {"-v", "--verbose"} & set(sys.argv[1:]):
        # nx-27017 logs every command at INFO: noise in `paygate dev` and a cost under load.
        logging.getLogger("nx_27017").setLevel(logging.WARNING)
    from nx_27017.nx_27017 import main as nx_main

    nx_main()


if __name__ == "__main__":
    main()
