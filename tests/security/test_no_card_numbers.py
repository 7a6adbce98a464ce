"""No full card number anywhere: sent through every path of the API, then searched for in
every Mongo collection, every key of both Redis databases (Upstash's and QStash's, which
holds message bodies), every process log line, and every file the stack wrote."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import bson
import httpx
import pytest
import redis
from pymongo import MongoClient

from devstack.processes import ManagedProcess
from devstack.stack import StackConfig
from tests.security.helpers import create_payment, luhn_number, payment_body, wait_final

RNG = random.Random()  # fresh numbers each run: only this run's requests can hold them
CARDS = {
    "visa": luhn_number("4", 16, RNG),
    "mastercard": luhn_number("53", 16, RNG),
    "amex": luhn_number("37", 15, RNG),
    "rupay": luhn_number("6071", 16, RNG),
    "spaced": luhn_number("4", 16, RNG),
    "dashed": luhn_number("51", 16, RNG),
    "refused": luhn_number("4", 16, RNG),
    "reused": luhn_number("4", 16, RNG),
    "not_luhn": "",
}
CARDS["not_luhn"] = CARDS["visa"][:-1] + str((int(CARDS["visa"][-1]) + 1) % 10)


def spaced(number: str) -> str:
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def card(number: str) -> dict[str, str]:
    return {"type": "card", "card_number": number}


def needles() -> list[bytes]:
    found = set()
    for number in CARDS.values():
        found |= {number, spaced(number), "-".join(spaced(number).split())}
    return sorted(n.encode() for n in found)


@pytest.fixture(scope="module")
def sent(api: httpx.Client) -> list[str]:
    """Push each number through a different path; the ids of the payments accepted."""
    accepted = []
    for name in ("visa", "mastercard", "amex", "rupay"):
        for scenario in ("success", "hard_failure", "flaky"):
            response = create_payment(
                api, payment_body(payment_method=card(CARDS[name]), scenario=scenario)
            )
            assert response.status_code == 201, response.text
            accepted.append(response.json()["id"])
    for name, formatted in (
        ("spaced", spaced(CARDS["spaced"])),
        ("dashed", "-".join(spaced(CARDS["dashed"]).split())),
    ):
        response = create_payment(api, payment_body(payment_method=card(formatted), scenario=None))
        assert response.status_code == 201, response.text
        assert response.json()["payment_method"]["last4"] == CARDS[name][-4:]
        accepted.append(response.json()["id"])
    # Refused requests: bad Luhn, bad currency, card details on a UPI method, unknown field.
    refusals = [
        payment_body(payment_method=card(CARDS["not_luhn"])),
        payment_body(payment_method=card(CARDS["refused"]), currency="ZZZ"),
        payment_body(payment_method={"type": "upi", "vpa": "a@b", "card_number": CARDS["refused"]}),
        payment_body(payment_method=card(CARDS["refused"]), pan=CARDS["refused"]),
        payment_body(payment_method=card(CARDS["refused"]), amount=-5),
    ]
    for body in refusals:
        response = create_payment(api, body)
        assert response.status_code == 400, response.text
        assert CARDS["refused"] not in response.text and CARDS["not_luhn"] not in response.text
    # An idempotent replay, and the same key reused with another card (422).
    body = payment_body(payment_method=card(CARDS["reused"]))
    first = create_payment(api, body, key="card-reuse-key-" + CARDS["reused"][-6:])
    replay = create_payment(api, body, key="card-reuse-key-" + CARDS["reused"][-6:])
    assert first.status_code == replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    other = payment_body(payment_method=card(CARDS["visa"]))
    conflict = create_payment(api, other, key="card-reuse-key-" + CARDS["reused"][-6:])
    assert conflict.status_code == 422
    accepted.append(first.json()["id"])
    for payment_id in accepted:
        wait_final(api, payment_id)
    # The webhooks are sent; one retry so a FAILED payment goes round again.
    failed = next(p for p in accepted if api.get(f"/v1/payments/{p}").json()["status"] == "FAILED")
    assert api.post(f"/v1/payments/{failed}/retry").status_code == 200
    wait_final(api, failed)
    time.sleep(0.5)  # let the last log lines be flushed
    return accepted


def hits(blob: bytes) -> list[bytes]:
    return [n for n in needles() if n in blob]


def test_not_in_any_mongo_collection(sent: list[str], stack_cfg: StackConfig) -> None:
    client: MongoClient[dict[str, Any]] = MongoClient(stack_cfg.mongodb_uri)
    try:
        names = client.list_database_names()
        assert "paygate" in names
        scanned = 0
        for db_name in names:
            db = client[db_name]
            for collection in db.list_collection_names():
                for doc in db[collection].find():
                    scanned += 1
                    assert not hits(bson.encode(doc)), f"{db_name}.{collection}: {doc}"
        assert scanned > len(sent)
    finally:
        client.close()


def redis_values(client: redis.Redis, key: bytes) -> list[bytes]:
    kind = client.type(key)
    if kind == b"string":
        return [client.get(key) or b""]
    if kind == b"hash":
        return [part for pair in client.hgetall(key).items() for part in pair]
    if kind == b"list":
        return list(client.lrange(key, 0, -1))
    if kind == b"set":
        return list(client.smembers(key))
    if kind == b"zset":
        return [member for member, _ in client.zrange(key, 0, -1, withscores=True)]
    if kind == b"stream":
        return [
            part for _, fields in client.xrange(key) for pair in fields.items() for part in pair
        ]
    return []


@pytest.mark.parametrize("which", ["upstash", "qstash"])
def test_not_in_any_redis_key(
    sent: list[str], stack_cfg: StackConfig, redis_service: ManagedProcess, which: str
) -> None:
    db = 0 if which == "upstash" else stack_cfg.qstash_redis_db
    client = redis.Redis.from_url(f"{stack_cfg.redis_url}/{db}")
    try:
        keys = list(client.scan_iter(count=1000))
        assert keys, f"the {which} database is empty: nothing was scanned"
        for key in keys:
            assert not hits(key), key
            for value in redis_values(client, key):
                assert not hits(value), (key, value[:200])
    finally:
        client.close()


def test_not_in_any_log_line(sent: list[str], stack_cfg: StackConfig) -> None:
    logs = sorted((stack_cfg.data_dir / "logs").glob("*.log"))
    assert {"functions.log", "qstash.log", "upstash.log"} <= {p.name for p in logs}
    lines = 0
    for path in logs:
        for number, line in enumerate(path.read_bytes().splitlines(), 1):
            lines += 1
            assert not hits(line), f"{path.name}:{number}: {line[:300]!r}"
    # The payments' own lines are there (so the search looked in the right place).
    functions = (stack_cfg.data_dir / "logs" / "functions.log").read_text()
    assert all(payment_id in functions for payment_id in sent)
    assert lines > len(sent)


def test_not_in_any_file_the_stack_wrote(sent: list[str], stack_cfg: StackConfig) -> None:
    """Databases, append-only files, WAL, receiver history: every byte under the data dir."""
    files = [p for p in Path(stack_cfg.data_dir).rglob("*") if p.is_file()]
    assert any(p.suffix == ".aof" or "appendonly" in p.name for p in files)
    for path in files:
        found = hits(path.read_bytes())
        assert not found, f"{path}: {found}"
