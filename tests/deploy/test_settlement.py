"""Settlement reports: CSV and totals (pure), then S3 (moto) + the real local Mongo + handler."""

from __future__ import annotations

import csv
import io
import urllib.parse
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests
from ulid import ULID

from shared.adapters.payment_documents import from_document
from shared.adapters.settlement_repository import SettlementRepository
from shared.adapters.settlement_store import default_store, s3_client
from shared.config import get_settings
from shared.domain.errors import InvalidRequest
from shared.domain.settlement import fee_for, parse_day, previous_day, render_report, report_key
from shared.services.settlement import write_reports
from shared.web import bootstrap
from tests.deploy.conftest import DeployMerchant, add_merchant
from tests.deploy.payments_data import payment_doc
from tests.events import load_event
from tests.lambda_runtime import http_event, invoke, invoke_http, run_on_runtime

DAY = date(2031, 3, 14)
FEE_BPS = 250
ROUTE = "/v1/settlements/{date}"


def at(day: date, hour: int, minute: int = 0, second: int = 0, ms: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, ms * 1000, tzinfo=UTC)


# --- pure ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("amount", "bps", "fee"),
    [
        (1020, 250, 26),
        (1010, 250, 25),
        (700, 250, 18),
        (1999, 250, 50),
        (2, 250, 0),
        (20, 250, 1),
        (1000, 0, 0),
        (12345, 10_000, 12345),
        (199, 50, 1),
    ],
)
def test_fee_is_basis_points_rounded_half_up(amount: int, bps: int, fee: int) -> None:
    assert fee_for(amount, bps) == fee


@pytest.mark.parametrize(
    "text", ["2031-3-14", "20310314", "2031-02-30", "yesterday", "", "2031-03-14T00:00"]
)
def test_malformed_days_are_refused(text: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_day(text)
    assert caught.value.param == "date"


def test_previous_day_is_the_utc_day_before() -> None:
    assert previous_day(datetime(2031, 3, 15, 0, 15, tzinfo=UTC)) == DAY
    assert previous_day(datetime(2031, 3, 14, 23, 59, 59, tzinfo=UTC)) == date(2031, 3, 13)
    assert report_key("mer_a", DAY) == "settlements/mer_a/2031-03-14.csv"


def test_report_without_fee_has_no_fee_columns() -> None:
    payment = payment_doc(
        "mer_x",
        status="SUCCESS",
        amount=500,
        currency="USD",
        created_at=at(DAY, 9),
        finalized_at=at(DAY, 9, 0, 1),
    )
    rows = list(csv.reader(io.StringIO(render_report([from_document(payment)], 0))))
    assert rows[0] == ["id", "amount", "currency", "status", "created_at", "finalized_at"]
    assert rows[2] == ["TOTAL", "500", "USD", "SUCCESS=1;FAILED=0", "", ""]


# --- against S3 (moto) and the real local Mongo ----------------------------------------------
@pytest.fixture
def day_payments(mongo_db: Any) -> dict[str, Any]:
    """Two merchants with mixed outcomes on DAY, plus payments that must stay out."""
    a, b, c = (add_merchant(mongo_db, n) for n in ("seta", "setb", "setc"))
    yesterday, tomorrow = DAY - timedelta(days=1), DAY + timedelta(days=1)
    docs = {
        "a1": payment_doc(
            a.id,
            status="SUCCESS",
            amount=1020,
            currency="USD",
            created_at=at(yesterday, 23, 59, 30),
            finalized_at=at(DAY, 0, 0, 1),
        ),
        "a2": payment_doc(
            a.id,
            status="FAILED",
            amount=5000,
            currency="USD",
            created_at=at(DAY, 9, 59),
            finalized_at=at(DAY, 10),
        ),
        "a3": payment_doc(
            a.id,
            status="SUCCESS",
            amount=1999,
            currency="EUR",
            created_at=at(DAY, 11, 59),
            finalized_at=at(DAY, 12),
        ),
        "a4": payment_doc(
            a.id,
            status="SUCCESS",
            amount=700,
            currency="USD",
            created_at=at(DAY, 23, 59),
            finalized_at=at(DAY, 23, 59, 59, 999),
        ),
        # Out: finalized the next day, the day before, or not final at all.
        "a5": payment_doc(
            a.id,
            status="SUCCESS",
            amount=999,
            currency="USD",
            created_at=at(DAY, 23, 59, 59),
            finalized_at=at(tomorrow, 0),
        ),
        "a6": payment_doc(
            a.id,
            status="SUCCESS",
            amount=111,
            currency="USD",
            created_at=at(yesterday, 8),
            finalized_at=at(yesterday, 8, 0, 2),
        ),
        "a7": payment_doc(
            a.id,
            status="PROCESSING",
            amount=100,
            currency="USD",
            created_at=at(DAY, 8),
            finalized_at=None,
        ),
        "b1": payment_doc(
            b.id,
            status="SUCCESS",
            amount=30000,
            currency="INR",
            created_at=at(DAY, 7),
            finalized_at=at(DAY, 7, 0, 3),
        ),
    }
    mongo_db["payments"].insert_many(list(docs.values()))
    return {"a": a, "b": b, "c": c, "docs": docs}


def run_reports(day: date, fee_bps: int) -> Any:
    async def go() -> Any:
        found = bootstrap.clients()
        queries = SettlementRepository(found.mongo[found.settings.mongodb_db])
        return await write_reports(queries, default_store(), day, fee_bps)

    return run_on_runtime(go)


def read_csv(s3: Any, key: str) -> list[list[str]]:
    body = s3.get_object(Bucket=get_settings().settlement_bucket, Key=key)["Body"].read()
    assert body.endswith(b"\r\n")
    return list(csv.reader(io.StringIO(body.decode())))


def keys_under(s3: Any, prefix: str) -> list[str]:
    listed = s3.list_objects_v2(Bucket=get_settings().settlement_bucket, Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


def test_report_content_and_totals_for_a_day_of_mixed_outcomes(
    aws: Any, day_payments: dict[str, Any]
) -> None:
    a, b, docs = day_payments["a"], day_payments["b"], day_payments["docs"]

    run = run_reports(DAY, FEE_BPS)

    assert {r.merchant_id: r.payments for r in run.reports} == {a.id: 4, b.id: 1}
    iso = {name: (d["created_at"], d["finalized_at"]) for name, d in docs.items()}

    def stamp(name: str) -> list[str]:
        created, finalized = iso[name]
        return [
            created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            finalized.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        ]

    assert read_csv(aws, f"settlements/{a.id}/2031-03-14.csv") == [
        ["id", "amount", "currency", "status", "created_at", "finalized_at", "fee", "net"],
        [docs["a1"]["_id"], "1020", "USD", "SUCCESS", *stamp("a1"), "26", "994"],
        [docs["a2"]["_id"], "5000", "USD", "FAILED", *stamp("a2"), "0", "0"],
        [docs["a3"]["_id"], "1999", "EUR", "SUCCESS", *stamp("a3"), "50", "1949"],
        [docs["a4"]["_id"], "700", "USD", "SUCCESS", *stamp("a4"), "18", "682"],
        ["TOTAL", "1999", "EUR", "SUCCESS=1;FAILED=0", "", "", "50", "1949"],
        ["TOTAL", "1720", "USD", "SUCCESS=2;FAILED=1", "", "", "44", "1676"],
    ]
    assert read_csv(aws, f"settlements/{b.id}/2031-03-14.csv")[-1] == [
        "TOTAL",
        "30000",
        "INR",
        "SUCCESS=1;FAILED=0",
        "",
        "",
        "750",
        "29250",
    ]
    assert stamp("a1")[1] == "2031-03-14T00:00:01.000Z"


def test_rerunning_a_day_overwrites_the_same_object(
    aws: Any, day_payments: dict[str, Any], mongo_db: Any
) -> None:
    a = day_payments["a"]
    key = f"settlements/{a.id}/2031-03-14.csv"
    first = run_reports(DAY, FEE_BPS)
    before = read_csv(aws, key)

    again = run_reports(DAY, FEE_BPS)
    assert [r.key for r in again.reports] == [r.key for r in first.reports]
    assert keys_under(aws, f"settlements/{a.id}/") == [key]
    assert read_csv(aws, key) == before

    late = payment_doc(
        a.id,
        status="SUCCESS",
        amount=400,
        currency="USD",
        created_at=at(DAY, 15),
        finalized_at=at(DAY, 15, 0, 1),
    )
    mongo_db["payments"].insert_one(late)
    run_reports(DAY, FEE_BPS)
    assert keys_under(aws, f"settlements/{a.id}/") == [key]
    after = read_csv(aws, key)
    assert late["_id"] in [row[0] for row in after]
    assert after[-1] == ["TOTAL", "2120", "USD", "SUCCESS=3;FAILED=1", "", "", "54", "2066"]


def settlement_link(merchant: DeployMerchant, day: str) -> Any:
    from functions.settlement_report.app import handler

    path = f"/v1/settlements/{day}"
    return invoke_http(handler, http_event("GET", path, route=ROUTE, headers=merchant.auth))


def test_a_merchant_gets_a_presigned_link_to_its_own_report_only(
    aws: Any, day_payments: dict[str, Any]
) -> None:
    a, b, c = day_payments["a"], day_payments["b"], day_payments["c"]
    run_reports(DAY, FEE_BPS)

    response = settlement_link(a, "2031-03-14")
    assert response.status_code == 200, response.body
    link = response.json()
    assert link["object"] == "settlement_report" and link["date"] == "2031-03-14"
    url = urllib.parse.urlsplit(link["url"])
    query = urllib.parse.parse_qs(url.query)
    assert url.path.endswith(f"/settlements/{a.id}/2031-03-14.csv")
    assert query["X-Amz-Expires"] == ["900"] and query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    expires = datetime.fromisoformat(link["expires_at"].replace("Z", "+00:00"))
    assert timedelta(minutes=14) < expires - datetime.now(UTC) <= timedelta(minutes=15)
    fetched = requests.get(link["url"], timeout=10)  # moto answers the presigned GET
    assert fetched.status_code == 200
    assert fetched.text.startswith("id,amount,currency,status") and a.id not in fetched.text
    assert day_payments["docs"]["a1"]["_id"] in fetched.text

    # c has no report that day: 404 in the envelope, not a's (or anyone's) report.
    missing = settlement_link(c, "2031-03-14")
    assert missing.status_code == 404
    assert missing.json() == {
        "error": {
            "type": "invalid_request_error",
            "code": "resource_missing",
            "message": "no settlement report for 2031-03-14",
            "param": "date",
        }
    }
    assert b.id in settlement_link(b, "2031-03-14").json()["url"]
    assert settlement_link(a, "2031-03-15").status_code == 404


def test_the_route_checks_key_then_date(aws: Any, day_payments: dict[str, Any]) -> None:
    from functions.settlement_report.app import handler

    anonymous = invoke_http(handler, http_event("GET", "/v1/settlements/2031-03-14", route=ROUTE))
    assert anonymous.status_code == 401
    malformed = settlement_link(day_payments["a"], "2031-3-14")
    assert malformed.status_code == 400
    assert malformed.json()["error"]["param"] == "date"


def test_the_schedule_reports_on_yesterday_for_every_merchant(aws: Any, mongo_db: Any) -> None:
    from functions.settlement_report.app import handler

    merchant = add_merchant(mongo_db, "sched")
    yesterday = previous_day(datetime.now(UTC))
    payment = payment_doc(
        merchant.id,
        status="SUCCESS",
        amount=4200,
        currency="GBP",
        created_at=at(yesterday, 12),
        finalized_at=at(yesterday, 12, 0, 1),
    )
    mongo_db["payments"].insert_one(payment)

    summary = invoke(handler, load_event("eventbridge_scheduled"))

    assert summary["date"] == yesterday.isoformat()
    mine = [r for r in summary["reports"] if r["merchant_id"] == merchant.id]
    assert mine == [
        {
            "merchant_id": merchant.id,
            "payments": 1,
            "key": f"settlements/{merchant.id}/{yesterday.isoformat()}.csv",
        }
    ]
    assert read_csv(aws, mine[0]["key"])[1][0] == payment["_id"]


def test_without_aws_the_route_answers_503_naming_s3(
    local_env: Any, day_payments: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dev without credentials: a quick 503, no metadata-service probe."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    s3_client.cache_clear()
    response = settlement_link(day_payments["a"], "2031-03-14")
    s3_client.cache_clear()
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    assert response.json()["error"]["message"].startswith("s3 is unavailable")


def refund_doc(
    payment: dict[str, Any], *, status: str, amount: int, finalized_at: datetime
) -> dict[str, Any]:
    refund_id = f"re_{ULID()}"
    return {
        "_id": refund_id,
        "merchant_id": payment["merchant_id"],
        "payment_id": payment["_id"],
        "amount": amount,
        "currency": payment["currency"],
        "idempotency_key": f"key-{refund_id}",
        "fingerprint": "0" * 64,
        "reason": None,
        "metadata": {},
        "status": status,
        "failure": None,
        "version": 1,
        "published": True,
        "fanout_pending": False,
        "created_at": finalized_at - timedelta(seconds=1),
        "updated_at": finalized_at,
        "finalized_at": finalized_at,
    }


def test_refunds_final_that_day_follow_the_payments(aws: Any, mongo_db: Any) -> None:
    merchant = add_merchant(mongo_db, "setrefunds")
    earlier = payment_doc(
        merchant.id,
        status="SUCCESS",
        amount=1000,
        currency="USD",
        created_at=at(DAY - timedelta(days=1), 9),
        finalized_at=at(DAY - timedelta(days=1), 9, 0, 1),
    )
    mongo_db["payments"].insert_one(earlier)
    succeeded = refund_doc(earlier, status="SUCCEEDED", amount=300, finalized_at=at(DAY, 10))
    failed = refund_doc(earlier, status="FAILED", amount=200, finalized_at=at(DAY, 11))
    pending = refund_doc(earlier, status="PENDING", amount=100, finalized_at=at(DAY, 12))
    tomorrow = refund_doc(
        earlier, status="SUCCEEDED", amount=50, finalized_at=at(DAY + timedelta(days=1), 1)
    )
    mongo_db["refunds"].insert_many([succeeded, failed, pending, tomorrow])

    run = run_reports(DAY, FEE_BPS)

    assert merchant.id in {r.merchant_id for r in run.reports}  # refunds alone make a report
    rows = read_csv(aws, f"settlements/{merchant.id}/2031-03-14.csv")
    assert rows[0] == [
        "id",
        "amount",
        "currency",
        "status",
        "created_at",
        "finalized_at",
        "fee",
        "net",
    ]
    assert [(r[0], r[1], r[3], r[6], r[7]) for r in rows[1:]] == [
        (succeeded["_id"], "-300", "SUCCEEDED", "0", "-300"),
        (failed["_id"], "-200", "FAILED", "0", "0"),
        ("REFUNDS", "-300", "SUCCEEDED=1;FAILED=1", "0", "-300"),
    ]
