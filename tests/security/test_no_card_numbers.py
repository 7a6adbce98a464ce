"""No full card number anywhere: sent through every path of the API, then searched for in
every Mongo collection, every key of both Redis databases (Upstash's and QStash's, which
holds message bodies), the QStash emulator's messages, events and DLQ as its API shows them,
every process log line, and every file the stack wrote.

Nor any unkeyed hash of one: SHA-256, SHA-1 and MD5 (hex, base64, base64url) of each number,
of each `payment_method` object and of each request body sent, in the usual serialisations. An
unkeyed hash of a card number is as good as the number: the unknown digits are few enough to
guess. Hex and base64 runs in the data are matched against a set of those digests, so the
search stays linear in the data however many digests there are.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bson
import httpx
import pytest
import redis
from pymongo import MongoClient

from devstack.processes import ManagedProcess
from devstack.stack import StackConfig
from tests.security.helpers import create_payment as _create_payment
from tests.security.helpers import luhn_number, payment_body, wait_final

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


SENT_BODIES: list[dict[str, Any]] = []  # every payment body this module sent


def create_payment(
    api: httpx.Client, body: dict[str, Any], key: str | None = None
) -> httpx.Response:
    SENT_BODIES.append(body)
    return _create_payment(api, body, key=key)


def needles() -> list[bytes]:
    found = set()
    for number in CARDS.values():
        found |= {number, spaced(number), "-".join(spaced(number).split())}
    return sorted(n.encode() for n in found)


def serialisations(value: Any) -> Iterator[str]:
    yield json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    yield json.dumps(value, sort_keys=True, separators=(",", ":"))
    yield json.dumps(value, separators=(",", ":"), ensure_ascii=False)  # httpx's, as sent
    yield json.dumps(value, sort_keys=True)
    yield json.dumps(value)
    yield str(value)  # a Python repr


def hashed_subjects() -> set[bytes]:
    """Everything whose unkeyed hash would give a card number back."""
    subjects = {n for n in needles()}
    methods = [{"type": "card", "card_number": n.decode()} for n in needles()]
    for body in SENT_BODIES:
        method = body.get("payment_method")
        if isinstance(method, dict) and method.get("card_number"):
            methods.append(method)
            normalised = {**method, "card_number": method["card_number"].replace(" ", "")}
            methods.append(
                {**normalised, "card_number": normalised["card_number"].replace("-", "")}
            )
    for value in [*methods, *SENT_BODIES]:
        subjects |= {text.encode() for text in serialisations(value)}
    return subjects


def digests(subject: bytes) -> Iterator[bytes]:
    for algorithm in (hashlib.sha256, hashlib.sha1, hashlib.md5):
        raw = algorithm(subject).digest()
        yield raw.hex().encode()
        yield base64.b64encode(raw)
        yield base64.b64encode(raw).rstrip(b"=")
        yield base64.urlsafe_b64encode(raw)
        yield base64.urlsafe_b64encode(raw).rstrip(b"=")


HEX_RUN = re.compile(rb"[0-9a-fA-F]{32,}")
B64_RUN = re.compile(rb"[A-Za-z0-9+/_-]{22,}={0,2}")


class DigestIndex:
    """The unkeyed digests of every subject, looked up by the hex and base64 runs of a blob."""

    def __init__(self, subjects: set[bytes]) -> None:
        self.hex: set[bytes] = set()
        self.b64: set[bytes] = set()
        for subject in subjects:
            for digest in digests(subject):
                (
                    self.hex
                    if HEX_RUN.fullmatch(digest) and len(digest) in (32, 40, 64)
                    else self.b64
                ).add(digest)
        self.hex_lengths = sorted({len(d) for d in self.hex})
        self.b64_lengths = sorted({len(d) for d in self.b64})

    def find(self, blob: bytes) -> list[bytes]:
        found = []
        for match in HEX_RUN.finditer(blob):
            run = match.group().lower()
            found += self._windows(run, self.hex, self.hex_lengths)
        for match in B64_RUN.finditer(blob):
            found += self._windows(match.group(), self.b64, self.b64_lengths)
        return found

    @staticmethod
    def _windows(run: bytes, wanted: set[bytes], lengths: list[int]) -> list[bytes]:
        return [
            run[i : i + n]
            for n in lengths
            for i in range(len(run) - n + 1)
            if run[i : i + n] in wanted
        ]


_index: list[DigestIndex] = []


def digest_index() -> DigestIndex:
    if not _index:
        _index.append(DigestIndex(hashed_subjects()))
    return _index[0]


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
    return [n for n in needles() if n in blob] + digest_index().find(blob)


def test_the_digest_search_finds_what_it_looks_for(sent: list[str]) -> None:
    """The search itself: an unkeyed hash of a number, a method or a body is found."""
    body = SENT_BODIES[0]
    number = body["payment_method"]["card_number"].encode()
    samples = [
        hashlib.sha256(number).hexdigest().encode(),
        hashlib.md5(number).hexdigest().upper().encode(),
        base64.b64encode(hashlib.sha1(number).digest()),
        hashlib.sha256(next(serialisations(body["payment_method"])).encode()).hexdigest().encode(),
        b'"fingerprint": "'
        + hashlib.sha256(next(serialisations(body)).encode()).hexdigest().encode(),
        base64.urlsafe_b64encode(hashlib.sha256(json.dumps(body).encode()).digest()).rstrip(b"="),
    ]
    for sample in samples:
        assert hits(b"{x:" + sample + b"}"), sample
    assert not hits(hashlib.sha256(b"4242424242424242").hexdigest().encode())


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


def qstash_api_values(stack_cfg: StackConfig) -> Iterator[tuple[str, bytes]]:
    """What the QStash emulator's API shows of its messages: events, logs, the DLQ and every
    message still stored (bodies included), with every base64 string decoded too."""
    headers = {"Authorization": f"Bearer {stack_cfg.qstash_token}"}
    with httpx.Client(base_url=stack_cfg.qstash_url, headers=headers, timeout=15) as client:
        events = client.get("/v2/events").json()["events"]
        assert events, "the QStash emulator recorded no event: nothing was scanned"
        paths = ["/v2/events", "/v2/logs", "/v2/dlq"]
        paths += sorted({f"/v2/messages/{e['messageId']}" for e in events if e.get("messageId")})
        for path in paths:
            response = client.get(path)
            if path.startswith("/v2/messages/") and response.status_code == 404:
                continue  # delivered and gone
            assert response.status_code == 200, (path, response.text[:200])
            yield path, response.content
            stack: list[Any] = [response.json()]
            while stack:
                item = stack.pop()
                if isinstance(item, dict):
                    stack.extend(item.values())
                elif isinstance(item, list):
                    stack.extend(item)
                elif isinstance(item, str) and len(item) >= 8:
                    decoded = _b64(item)
                    if decoded is not None:
                        yield path, decoded


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        return None


def test_not_in_the_qstash_emulators_messages(sent: list[str], stack_cfg: StackConfig) -> None:
    paths = set()
    for path, blob in qstash_api_values(stack_cfg):
        paths.add(path)
        assert not hits(blob), (path, blob[:300])
    assert {"/v2/events", "/v2/logs", "/v2/dlq"} <= paths


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
