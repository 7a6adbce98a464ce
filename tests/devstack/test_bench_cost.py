"""B4, `make bench`'s cost benchmark, on a tiny N: it counts, its idle hour is the schedules'."""

from __future__ import annotations

from benchmarks.run import run_cost
from benchmarks.table import cost_markdown


def test_b4_counts_a_successful_payment_and_an_idle_hour() -> None:
    b4 = run_cost(2, ["success"])
    success = b4["lifecycles"]["success"]
    assert success["final_statuses"] == {"SUCCESS": 2}
    per = success["per_payment"]
    # One process message and one webhook delivery (the demo merchant's one endpoint).
    assert per["qstash_messages"] == 2.0
    assert per["qstash_detail"]["redeliveries"] == 0
    assert per["upstash_commands"] >= 1 and per["mongo_operations"] >= 3
    assert per["mongo_by_command"].get("insert", 0) >= 1
    idle = b4["idle_hour"]
    # Four sweeps an hour (every 15 minutes) and a 24th of the nightly settlement report:
    # QStash messages on Vercel (its schedules are QStash's), none on AWS (EventBridge).
    assert idle["jobs"]["/internal/sweep"]["fired"] == 4
    assert idle["vercel"]["qstash_messages"] == 4.04
    assert idle["aws"]["qstash_messages"] == 0.0
    assert idle["aws"]["mongo_operations"] > 0
    capacity = b4["free_tier_capacity"]["vercel"]
    assert capacity["payments_per_day_qstash_free"] == int((1000 - 4.04 * 24) / 2)
    assert "| idle hour, vercel | 4.04 |" in cost_markdown(b4)
