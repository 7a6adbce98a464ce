"""Use cases: write the settlement reports of a UTC day, and hand a merchant a link to one.

Writing is idempotent: a report's S3 key depends only on (merchant, day) and its content only
on the payments and refunds finalized that day, so a rerun overwrites the same object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from shared.domain.clock import iso, utcnow
from shared.domain.errors import NotFound
from shared.domain.settlement import PRESIGNED_URL_TTL_S, day_bounds, render_report, report_key
from shared.services.ports import ReportStore, SettlementReader
from shared.services.views import SettlementReportOut


@dataclass(frozen=True)
class WrittenReport:
    merchant_id: str
    key: str
    payments: int


@dataclass(frozen=True)
class SettlementRun:
    day: date
    reports: list[WrittenReport] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "object": "settlement_run",
            "date": self.day.isoformat(),
            "reports": [
                {"merchant_id": r.merchant_id, "key": r.key, "payments": r.payments}
                for r in self.reports
            ],
        }


async def write_reports(
    queries: SettlementReader,
    store: ReportStore,
    day: date,
    fee_bps: int,
    merchant_ids: list[str] | None = None,
) -> SettlementRun:
    """One CSV per merchant with payments finalized on `day` (all such merchants by default)."""
    start, end = day_bounds(day)
    if merchant_ids is None:
        found = await queries.merchants_with_final_payments(start, end)
        found += await queries.merchants_with_final_refunds(start, end)
        merchant_ids = sorted(set(found))
    written: list[WrittenReport] = []
    for merchant_id in merchant_ids:
        payments = await queries.final_payments(merchant_id, start, end)
        refunds = await queries.final_refunds(merchant_id, start, end)
        if not payments and not refunds:
            continue
        key = report_key(merchant_id, day)
        await store.put_csv(key, render_report(payments, fee_bps, refunds))
        written.append(WrittenReport(merchant_id, key, len(payments)))
    return SettlementRun(day, written)


async def report_link(store: ReportStore, merchant_id: str, day: date) -> SettlementReportOut:
    """A presigned URL to the caller's own report of `day`; NotFound when there is none."""
    key = report_key(merchant_id, day)
    if not await store.exists(key):
        raise NotFound(f"no settlement report for {day.isoformat()}", param="date")
    return SettlementReportOut(
        object="settlement_report",
        date=day.isoformat(),
        url=store.presigned_get(key, PRESIGNED_URL_TTL_S),
        expires_at=iso(utcnow() + timedelta(seconds=PRESIGNED_URL_TTL_S)) or "",
    )
