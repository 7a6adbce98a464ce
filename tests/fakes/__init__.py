"""In-memory fakes of the ports (`shared/services/ports.py`), for the unit tier only.

Each keeps the contract its real adapter is tested for against the real service (guarded
saves, unique keys, insert-once deliveries and events, lock owners, queue deduplication); the
function, e2e and fault tiers cover the real adapters.
"""

from tests.fakes.edges import FakeLock, FakeQueue, FakeSender
from tests.fakes.gateway import fake_gateway
from tests.fakes.stores import FakeDisputes, FakePayments, FakeWebhooks

__all__ = [
    "FakeDisputes",
    "FakeLock",
    "FakePayments",
    "FakeQueue",
    "FakeSender",
    "FakeWebhooks",
    "fake_gateway",
]
