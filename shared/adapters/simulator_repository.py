"""Merchants' simulator settings: one document per merchant, each change one atomic write.

`{_id: merchant_id, version, updated_at, values}`: `values` holds the dials, or None after a
reset (so a reset follows the process's defaults, even if they change later). A PUT or DELETE
is a single `find_one_and_update` (upsert) that bumps the version with the values: a crash
leaves either the old document or the new one, never half of each.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from shared.adapters.mongo import translate_all
from shared.domain.simulator_settings import (
    ApiFaults,
    Baseline,
    LatencyRange,
    OutcomeWeights,
    SimulatorSettings,
    WebhookChaos,
)

Doc = dict[str, Any]


def settings_values(settings: SimulatorSettings) -> Doc:
    """The dials as stored (everything but version, updated_at and the baseline)."""
    return {
        "expires_at": settings.expires_at,
        "seed": settings.seed,
        "outcome_weights": asdict(settings.outcome_weights),
        "gateway_latency_ms": asdict(settings.gateway_latency_ms),
        "api": asdict(settings.api),
        "webhooks": asdict(settings.webhooks),
    }


def _range(doc: Doc) -> LatencyRange:
    return LatencyRange(int(doc["min"]), int(doc["max"]))


def settings_from_document(doc: Doc, baseline: Baseline) -> SimulatorSettings:
    version = int(doc.get("version", 0))
    updated_at = doc.get("updated_at")
    values = doc.get("values")
    if values is None:
        return SimulatorSettings.defaults(baseline, version=version, updated_at=updated_at)
    api, hooks = values["api"], values["webhooks"]
    return SimulatorSettings(
        version=version,
        updated_at=updated_at,
        expires_at=values.get("expires_at"),
        seed=values.get("seed"),
        outcome_weights=OutcomeWeights(**values["outcome_weights"]),
        gateway_latency_ms=_range(values["gateway_latency_ms"]),
        api=ApiFaults(float(api["error_rate"]), api["error_mode"], _range(api["latency_ms"])),
        webhooks=WebhookChaos(
            float(hooks["drop_rate"]),
            float(hooks["duplicate_rate"]),
            float(hooks["bad_signature_rate"]),
            _range(hooks["delay_ms"]),
        ),
        baseline=baseline,
    )


@translate_all
class SimulatorRepository:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.settings = db["simulator_settings"]

    async def load(self, merchant_id: str, baseline: Baseline) -> SimulatorSettings | None:
        doc = await self.settings.find_one({"_id": merchant_id})
        return None if doc is None else settings_from_document(doc, baseline)

    async def save(
        self,
        merchant_id: str,
        settings: SimulatorSettings | None,
        *,
        now: datetime,
        baseline: Baseline,
    ) -> SimulatorSettings:
        values = None if settings is None else settings_values(settings)
        doc = await self.settings.find_one_and_update(
            {"_id": merchant_id},
            {"$set": {"values": values, "updated_at": now}, "$inc": {"version": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert doc is not None  # an upsert returning the document after always has one
        return settings_from_document(doc, baseline)
