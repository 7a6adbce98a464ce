"""The rehearsal pages in Chromium against the whole local stack: the Simulator page and its
banner, scripted attempts on the New payment form, the Events page and the Webhooks page's
endpoint controls (status, enabled events, recover, enable). Nothing is faked: every dial set
here is the stack's, every outage and event shown is one the stack produced.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from devstack.processes import ManagedProcess, free_port
from devstack.stack import StackConfig, functions_process
from shared.services.simulator_settings import SETTINGS_CACHE_TTL_S
from tests.browser.test_dashboard import (
    FINAL_WAIT_MS,
    api,
    create_payment,
    open_dashboard,
    wait_final,
)

pytestmark = pytest.mark.browser

# After a change every process's cached copy of the settings has expired (simulator_helpers).
PROPAGATED_S = SETTINGS_CACHE_TTL_S + 0.2
DEAD_URL = "http://127.0.0.1:9/rehearsal-hooks"  # loopback, nothing listens: every POST fails
DISABLE_AFTER = 3


@pytest.fixture
def impatient_functions(
    stack_cfg: StackConfig,
    functions_service: ManagedProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """A second functions host on the same stores, with one webhook attempt and auto-disable
    after DISABLE_AFTER failures: the stack's defaults (5 attempts backing off for minutes, 20
    failures) would make a dead endpoint take most of an hour to disable. Payments created
    through it are delivered by it (their QStash callbacks name its URL)."""
    cfg = dataclasses.replace(
        stack_cfg,
        functions_port=free_port(),
        data_dir=tmp_path_factory.mktemp("impatient"),
        function_env={
            **stack_cfg.function_env,
            "PAYGATE_WEBHOOK_MAX_ATTEMPTS": "1",
            "PAYGATE_WEBHOOK_DISABLE_AFTER": str(DISABLE_AFTER),
        },
    )
    process = functions_process(cfg)
    process.start()
    try:
        yield cfg.functions_url
    finally:
        process.stop()


@pytest.fixture
def simulator_reset(dashboard_url: str) -> Iterator[None]:
    """Defaults before and after: a dial left on would break every other test of the stack."""
    with api(dashboard_url) as client:
        assert client.delete("/v1/simulator").status_code == 200
    yield
    with api(dashboard_url) as client:
        assert client.delete("/v1/simulator").status_code == 200
    time.sleep(PROPAGATED_S)


def create_in_form(page: Page) -> None:
    """Submit the New payment form with a fresh idempotency key."""
    page.get_by_role("button", name="Generate a new idempotency key").click()
    page.get_by_role("button", name="Create payment").click()


def test_api_error_rate_outage_banner_and_reset(
    page: Page, dashboard_url: str, simulator_reset: None, artifacts_dir: Path
) -> None:
    open_dashboard(page, "/simulator")
    expect(page.get_by_test_id("simulator-state")).to_have_text("defaults")
    expect(page.get_by_test_id("simulator-banner")).to_have_count(0)
    version = int(page.get_by_test_id("simulator-version").inner_text())

    page.get_by_label("API error rate", exact=True).fill("1")
    page.get_by_label("For the next (minutes)").fill("10")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_test_id("simulator-version")).to_have_text(str(version + 1))
    banner = page.get_by_test_id("simulator-banner")
    expect(banner).to_contain_text("API errors 100% (before commit)")
    expect(banner.get_by_test_id("simulator-banner-expiry")).to_contain_text("until")
    with api(dashboard_url) as client:
        sim = client.get("/v1/simulator").json()
    assert sim["api"]["error_rate"] == 1 and sim["expires_at"] is not None
    time.sleep(PROPAGATED_S)

    # the banner is on every page; creating a payment answers the simulated outage
    page.get_by_role("link", name="New payment").first.click()
    expect(page.get_by_test_id("simulator-banner")).to_be_visible()
    create_in_form(page)
    expect(page.get_by_test_id("api-error-code")).to_have_text("simulated_outage")
    expect(page.get_by_test_id("api-error")).to_contain_text("HTTP 503")
    # an asked-for 503 is not an API outage: no "API degraded" banner
    expect(page.get_by_test_id("connection-banner")).to_have_count(0)
    page.screenshot(path=str(artifacts_dir / "browser-simulated-outage.png"), full_page=True)

    # the banner links to the Simulator page; reset puts the defaults back
    page.get_by_test_id("simulator-banner").get_by_role("link", name="Open the Simulator").click()
    expect(page.get_by_role("heading", name="Simulator")).to_be_visible()
    page.get_by_role("button", name="Reset to defaults").click()
    expect(page.get_by_test_id("simulator-state")).to_have_text("defaults")
    expect(page.get_by_test_id("simulator-banner")).to_have_count(0)
    expect(page.get_by_label("API error rate", exact=True)).to_have_value("0")
    time.sleep(PROPAGATED_S)

    page.get_by_role("link", name="New payment").first.click()
    create_in_form(page)
    expect(page.get_by_test_id("created-payment-link")).to_have_text(re.compile(r"^pay_\w+$"))
    expect(page.get_by_test_id("create-result")).to_contain_text("HTTP 201")


def test_banner_follows_a_change_made_elsewhere(
    page: Page, dashboard_url: str, simulator_reset: None
) -> None:
    open_dashboard(page, "/payments")
    expect(page.get_by_test_id("simulator-banner")).to_have_count(0)
    with api(dashboard_url) as client:
        body = client.get("/v1/simulator").json()
        body["webhooks"]["duplicate_rate"] = 1
        assert client.put("/v1/simulator", json=body).status_code == 200
    # no reload: the page polls the settings
    expect(page.get_by_test_id("simulator-banner")).to_contain_text("webhook duplicates 100%")
    with api(dashboard_url) as client:
        assert client.delete("/v1/simulator").status_code == 200
    expect(page.get_by_test_id("simulator-banner")).to_have_count(0)


def test_a_bad_value_shows_the_apis_error_at_its_field(
    page: Page, dashboard_url: str, simulator_reset: None
) -> None:
    open_dashboard(page, "/simulator")
    version = page.get_by_test_id("simulator-version").inner_text()
    page.get_by_label("Drop rate", exact=True).fill("3")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_test_id("api-error")).to_contain_text("HTTP 400")
    field_error = page.locator("#sim-webhooks-drop_rate-error")
    expect(field_error).to_contain_text("drop_rate")
    expect(page.get_by_label("Drop rate", exact=True)).to_have_attribute("aria-invalid", "true")
    # nothing changed
    expect(page.get_by_test_id("simulator-version")).to_have_text(version)
    with api(dashboard_url) as client:
        assert client.get("/v1/simulator").json()["webhooks"]["drop_rate"] == 0


def test_scripted_attempts_timeout_then_success(page: Page, artifacts_dir: Path) -> None:
    open_dashboard(page, "/new")
    page.get_by_role("button", name="Add attempt").click()
    page.get_by_role("button", name="Add attempt").click()
    page.get_by_label("Attempt 1", exact=True).select_option("timeout")
    page.get_by_label("Attempt 2", exact=True).select_option("success")
    page.get_by_label("Gateway latency (ms)").fill("20")
    create_in_form(page)
    link = page.get_by_test_id("created-payment-link")
    expect(link).to_have_text(re.compile(r"^pay_\w+$"))
    link.click()
    expect(page.get_by_test_id("payment-status")).to_have_text("SUCCESS", timeout=FINAL_WAIT_MS)
    expect(page.get_by_test_id("payment-attempts")).to_contain_text("2 of")
    simulate = page.get_by_test_id("payment-simulate")
    expect(simulate.get_by_test_id("simulate-attempt")).to_have_text(["timeout", "success"])
    expect(simulate).to_contain_text("gateway latency 20 ms")
    timeline = page.get_by_test_id("timeline")
    expect(timeline.locator('[data-to="RETRYING"]')).to_have_count(1)
    page.screenshot(path=str(artifacts_dir / "browser-scripted-attempts.png"), full_page=True)


def _create_by_api(base_url: str, **extra: Any) -> str:
    with api(base_url) as client:
        return create_payment(client, user_id="user_rehearsal", **extra)


def test_events_page_body_deliveries_and_resend(
    page: Page, dashboard_url: str, artifacts_dir: Path
) -> None:
    payment_id = _create_by_api(dashboard_url, scenario="success")
    with api(dashboard_url) as client:
        assert wait_final(client, payment_id)["status"] == "SUCCESS"
        events = client.get("/v1/events", params={"payment": payment_id}).json()["data"]
    event = next(e for e in events if e["type"] == "payment.succeeded")

    open_dashboard(page, "/events")
    page.get_by_label("Event type").select_option("payment.succeeded")
    expect(page).to_have_url(re.compile(r"type=payment\.succeeded"))
    row = page.locator(f'[data-testid="event-row"][data-event-id="{event["id"]}"]')
    expect(row).to_be_visible()
    for r in page.get_by_test_id("event-row").all():
        expect(r).to_have_attribute("data-event-type", "payment.succeeded")
    row.click()

    panel = page.get_by_test_id("event-panel")
    expect(panel.get_by_test_id("event-panel-id")).to_have_text(event["id"])
    expect(panel.get_by_test_id("event-body")).to_contain_text(f'"id": "{payment_id}"')
    expect(panel.get_by_test_id("event-body")).to_contain_text('"type": "payment.succeeded"')
    # the demo endpoint got it: a delivery with its attempt
    delivery = panel.get_by_test_id("webhook-delivery").first
    expect(delivery.get_by_test_id("delivery-status")).to_have_text("SUCCESS", timeout=20_000)
    attempts_before = delivery.get_by_test_id("delivery-attempt").count()
    assert attempts_before >= 1
    delivery.get_by_role("button", name=re.compile("^Redeliver")).click()
    expect(delivery).to_contain_text("redelivery queued")
    expect(delivery.get_by_test_id("delivery-attempt")).to_have_count(
        attempts_before + 1, timeout=20_000
    )
    page.screenshot(path=str(artifacts_dir / "browser-events.png"), full_page=True)


def _endpoint(base_url: str, endpoint_id: str) -> dict[str, Any]:
    with api(base_url) as client:
        listed = client.get("/v1/webhook_endpoints", params={"limit": 100}).json()["data"]
    return next(e for e in listed if e["id"] == endpoint_id)


def test_webhooks_page_status_recover_enable_and_events(
    page: Page, dashboard_url: str, impatient_functions: str, artifacts_dir: Path
) -> None:
    with api(dashboard_url) as client:
        r = client.post(
            "/v1/webhook_endpoints", json={"url": DEAD_URL, "enabled_events": ["payment.failed"]}
        )
        assert r.status_code == 201, r.text
        endpoint_id = r.json()["id"]
        since = datetime.now(UTC) - timedelta(minutes=1)
    for _ in range(DISABLE_AFTER):
        _create_by_api(impatient_functions, scenario="hard_failure")
    try:
        deadline = time.monotonic() + 120
        while _endpoint(dashboard_url, endpoint_id)["status"] != "disabled":
            assert time.monotonic() < deadline, "the dead endpoint was never disabled"
            time.sleep(1)

        open_dashboard(page, "/webhooks")
        row = page.locator(f'[data-testid="endpoint-row"][data-endpoint-id="{endpoint_id}"]')
        expect(row.get_by_test_id("endpoint-status")).to_have_text("disabled")
        expect(row.get_by_test_id("endpoint-disabled-reason")).to_be_visible()
        row.get_by_role("button", name="Recover since…").click()
        expect(row.get_by_role("button", name="Recover", exact=True)).to_be_disabled()
        row.get_by_role("button", name="Recover since…").click()
        page.screenshot(path=str(artifacts_dir / "browser-endpoint-disabled.png"), full_page=True)

        # enable it again
        row.get_by_role("button", name="Enable").click()
        expect(row.get_by_test_id("endpoint-status")).to_have_text("enabled")
        expect(row.get_by_test_id("endpoint-disabled-reason")).to_have_count(0)
        assert _endpoint(dashboard_url, endpoint_id)["status"] == "enabled"

        # recover since a minute before the failures (an enabled endpoint only): every failed
        # delivery is counted
        row.get_by_role("button", name="Recover since…").click()
        local = since.astimezone().strftime("%Y-%m-%dT%H:%M")
        row.get_by_label("Recover since").fill(local)
        row.get_by_role("button", name="Recover", exact=True).click()
        count = row.get_by_test_id("recover-count")
        expect(count).to_have_text(re.compile(r"^\d+$"))
        assert int(count.inner_text()) >= DISABLE_AFTER

        # edit the enabled events
        row.get_by_role("button", name="Edit events").click()
        editor = row.get_by_test_id("enabled-events-editor")
        editor.get_by_role("checkbox", name="refund.failed").check()
        editor.get_by_role("checkbox", name="payment.failed").uncheck()
        editor.get_by_role("button", name="Save events").click()
        expect(editor).to_have_count(0)
        expect(row.get_by_test_id("endpoint-events")).to_have_text("refund.failed")
        assert _endpoint(dashboard_url, endpoint_id)["enabled_events"] == ["refund.failed"]
    finally:
        with api(dashboard_url) as client:
            client.delete(f"/v1/webhook_endpoints/{endpoint_id}")
