"""Create a merchant and print its API key once (production seeds no demo merchant).

    MONGODB_URI='mongodb+srv://...' python infra/create_merchant.py --name "Acme Ltd"

The key is stored only as its SHA-256, like every key paygate checks; write it down now.
"""

from __future__ import annotations

import argparse
import os
import secrets
from datetime import UTC, datetime
from typing import Any

from pymongo import MongoClient

from shared.services.merchants import hash_api_key

KEY_PREFIX = "sk_live_"


def create_merchant(uri: str, database: str, name: str) -> tuple[str, str]:
    """Insert a merchant named `name`; returns (merchant id, API key)."""
    merchant_id = "mer_" + secrets.token_hex(8)
    api_key = KEY_PREFIX + secrets.token_urlsafe(24)
    client: MongoClient[dict[str, Any]] = MongoClient(
        uri, tz_aware=True, serverSelectionTimeoutMS=10_000
    )
    with client:
        client[database]["merchants"].insert_one(
            {
                "_id": merchant_id,
                "name": name,
                "api_key_hash": hash_api_key(api_key),
                "created_at": datetime.now(UTC),
            }
        )
    return merchant_id, api_key


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--mongodb-uri", default=os.environ.get("MONGODB_URI"))
    parser.add_argument("--db", default=os.environ.get("PAYGATE_MONGODB_DB", "paygate"))
    args = parser.parse_args(argv)
    if not args.mongodb_uri:
        parser.error("set MONGODB_URI or pass --mongodb-uri")
    merchant_id, api_key = create_merchant(args.mongodb_uri, args.db, args.name)
    print(f"merchant_id={merchant_id}")
    print(f"api_key={api_key}")


if __name__ == "__main__":
    main()
