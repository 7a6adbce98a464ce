"""Money movements in the dashboard, in Chromium against the whole local stack: capture and
cancel a manual payment, refund one (partly, too much, on the card whose refunds fail), answer a
dispute, and the Refunds and Disputes pages. No API answer is faked: every click goes to the
running functions and every status shown is the one the stack reached.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.test_dashboard import (
    FINAL_WAIT_MS,
    UNNAMED_CONTROLS_JS,
    api,
    create_payment,
    open_dashboard,
)

pytestmark = pytest.mark.browser

DISPUTE_CARD = "4000000000000259"
REFUND_FAILS_CARD = "4000000000005126"
SETTLE_WAIT_MS = 30_000  # a refund or a dispute decision is one QStash hop away


def create_in_form(
    page: Page,
    *,
    amount: str = "50.00",
    card: str | None = None,
    scenario: str = "",
    manual: bool = False,
) -> str:
    """Fill the New payment form (a card from the test-card list, a capture method) and submit."""
    page.get_by_role("link", name="New payment").first.click()
    expect(page.get_by_role("heading", name="New payment")).to_be_visible()
    page.get_by_label("Amount").fill(amount)
    if card:
        page.get_by_role("button", name=re.compile(card)).click()
        expect(page.get_by_label("Card number")).to_have_value(card)
    page.get_by_label("Scenario").select_option(scenario)
    if manual:
        # the radio is visually hidden inside its label, as for the payment method: click the label
        page.locator("label").filter(has=page.get_by_role("radio", name="Manual")).click()
        expect(page.get_by_role("radio", name="Manual")).to_be_checked()
    page.get_by_role("button", name="Create payment").click()
    link = page.get_by_test_id("created-payment-link")
    expect(link).to_have_text(re.compile(r"^pay_\w+$"))
    return link.inner_text()


def create_by_api(
    base_url: str, *, amount: int, card: str = "4242424242424242", **extra: Any
) -> str:
    card_method = {"type": "card", "card_number": card}
    with api(base_url) as client:
        return create_payment(
            client, amount=amount, payment_method=card_method, user_id="user_money", **extra
        )


def open_payment(page: Page, payment_id: str, status: str) -> None:
    open_dashboard(page, f"/payments/{payment_id}")
    expect(page.get_by_test_id("payment-id")).to_have_text(payment_id)
    expect(page.get_by_test_id("payment-status")).to_have_text(status, timeout=FINAL_WAIT_MS)


def moves(page: Page, object_type: str, to: str) -> Locator:
    return page.get_by_test_id("timeline").locator(
        f'[data-testid="timeline-event"][data-object-type="{object_type}"][data-to="{to}"]'
    )


def refund_in_page(page: Page, amount: str, reason: str = "") -> None:
    form = page.get_by_test_id("refund-form")
    form.get_by_label("Refund amount").fill(amount)
    form.get_by_label("Refund reason").select_option(reason)
    form.get_by_role("button", name="Refund", exact=True).click()


def test_manual_capture_of_part_of_the_authorization(
    page: Page, dashboard_url: str, artifacts_dir: Path
) -> None:
    open_dashboard(page)
    payment_id = create_in_form(page, amount="50.00", scenario="success", manual=True)
    page.get_by_test_id("created-payment-link").click()
    expect(page.get_by_test_id("payment-status")).to_have_text(
        "REQUIRES_CAPTURE", timeout=FINAL_WAIT_MS
    )
    expect(page.get_by_test_id("payment-capture-method")).to_contain_text("manual")
    panel = page.get_by_test_id("authorization-panel")
    expect(panel.get_by_test_id("authorization-expires")).to_have_text(re.compile(r"^in \d+"))
    amount = panel.get_by_label("Amount to capture")
    expect(amount).to_have_value("50.00")  # the whole authorization by default
    page.screenshot(path=str(artifacts_dir / "browser-requires-capture.png"), full_page=True)

    amount.fill("40.00")
    panel.get_by_role("button", name="Capture").click()
    expect(page.get_by_test_id("api-error")).to_have_count(0)
    expect(page.get_by_test_id("authorization-done")).to_contain_text("Captured $40.00")
    expect(page.get_by_test_id("payment-status")).to_have_text("SUCCESS")
    expect(page.get_by_test_id("payment-capture-method")).to_contain_text("$40.00 captured")
    expect(page.get_by_test_id("amount-captured")).to_have_text("$40.00")
    expect(page.get_by_test_id("amount-refundable")).to_have_text("$40.00")
    expect(page.get_by_test_id("authorization-panel")).to_have_count(0)
    captured = page.get_by_test_id("timeline-event").filter(
        has=page.locator('[data-testid="timeline-from"][data-status="REQUIRES_CAPTURE"]')
    )
    expect(captured).to_have_attribute("data-to", "SUCCESS")
    with api(dashboard_url) as client:
        assert client.get(f"/v1/payments/{payment_id}").json()["amount_captured"] == 4000
    page.screenshot(path=str(artifacts_dir / "browser-captured.png"), full_page=True)


def test_cancel_a_manual_payment(page: Page, dashboard_url: str) -> None:
    payment_id = create_by_api(dashboard_url, amount=2500, capture_method="manual")
    open_payment(page, payment_id, "REQUIRES_CAPTURE")
    panel = page.get_by_test_id("authorization-panel")
    panel.get_by_label("Cancellation reason").select_option("abandoned")
    panel.get_by_role("button", name="Cancel payment").click()
    expect(page.get_by_test_id("api-error")).to_have_count(0)
    expect(page.get_by_test_id("payment-status")).to_have_text("CANCELED")
    expect(page.get_by_test_id("payment-cancellation-reason")).to_have_text("Abandoned")
    expect(page.get_by_test_id("authorization-panel")).to_have_count(0)
    expect(moves(page, "payment", "CANCELED")).to_have_count(1)
    # a canceled payment offers nothing more: no capture, no refund
    expect(page.get_by_test_id("refunds-panel")).to_have_count(0)
    expect(page.get_by_role("button", name="Retry payment")).to_be_disabled()


def test_partial_refund_is_listed_and_succeeds(page: Page, dashboard_url: str) -> None:
    payment_id = create_by_api(dashboard_url, amount=3000, scenario="success")
    open_payment(page, payment_id, "SUCCESS")
    expect(page.get_by_test_id("amount-refundable")).to_have_text("$30.00")
    expect(page.get_by_test_id("refund-form").get_by_label("Refund amount")).to_have_value("30.00")

    refund_in_page(page, "12.50", "requested_by_customer")
    expect(page.get_by_test_id("api-error")).to_have_count(0)
    expect(page.get_by_test_id("refund-created")).to_contain_text("re_")
    row = page.get_by_test_id("refund-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("$12.50")
    expect(row).to_contain_text("Requested by customer")
    expect(row.get_by_test_id("refund-status")).to_have_text("SUCCEEDED", timeout=SETTLE_WAIT_MS)
    expect(page.get_by_test_id("amount-refunded")).to_have_text("$12.50")
    expect(page.get_by_test_id("amount-refundable")).to_have_text("$17.50")
    # the form now offers what is left
    expect(page.get_by_test_id("refund-form").get_by_label("Refund amount")).to_have_value("17.50")
    # the refund's own moves are in the payment's timeline, labelled as a refund's
    refund_id = row.get_attribute("data-refund-id")
    assert refund_id and refund_id.startswith("re_")
    succeeded = moves(page, "refund", "SUCCEEDED")
    expect(succeeded).to_have_count(1)
    expect(succeeded).to_have_attribute("data-object-id", refund_id)
    expect(succeeded.get_by_test_id("timeline-object")).to_contain_text("Refund")

    # refund the rest: nothing left, the form goes away
    refund_in_page(page, "17.50")
    expect(page.get_by_test_id("refund-row")).to_have_count(2)
    expect(page.get_by_test_id("refund-none-left")).to_be_visible()
    expect(page.get_by_test_id("refund-form")).to_have_count(0)


def test_over_refund_shows_amount_too_large(page: Page, dashboard_url: str) -> None:
    payment_id = create_by_api(dashboard_url, amount=1234, scenario="success")
    open_payment(page, payment_id, "SUCCESS")
    refund_in_page(page, "12.35")
    error = page.get_by_test_id("api-error")
    expect(error.get_by_test_id("api-error-code")).to_have_text("amount_too_large")
    expect(error).to_contain_text("HTTP 400")
    expect(page.get_by_test_id("refund-row")).to_have_count(0)
    expect(page.get_by_test_id("amount-refundable")).to_have_text("$12.34")


def test_refunds_page_filters_by_status_and_payment(
    page: Page, dashboard_url: str, artifacts_dir: Path
) -> None:
    # one refund that fails (the 5126 card) and one that succeeds, each on its own payment
    failing = create_by_api(dashboard_url, amount=2000, card=REFUND_FAILS_CARD)
    working = create_by_api(dashboard_url, amount=2000, scenario="success")
    open_payment(page, failing, "SUCCESS")
    refund_in_page(page, "5.00")
    failed_row = page.get_by_test_id("refund-row")
    expect(failed_row.get_by_test_id("refund-status")).to_have_text(
        "FAILED", timeout=SETTLE_WAIT_MS
    )
    expect(failed_row.get_by_test_id("refund-failure")).not_to_be_empty()
    expect(page.get_by_test_id("amount-refunded")).to_have_text("$0.00")
    expect(moves(page, "refund", "FAILED")).to_have_count(1)
    open_payment(page, working, "SUCCESS")
    refund_in_page(page, "5.00")
    expect(page.get_by_test_id("refund-row").get_by_test_id("refund-status")).to_have_text(
        "SUCCEEDED", timeout=SETTLE_WAIT_MS
    )

    page.get_by_role("link", name="Refunds").first.click()
    expect(page.get_by_role("heading", name="Refunds")).to_be_visible()
    rows = page.get_by_test_id("refunds-table").get_by_test_id("refund-row")
    expect(rows.first).to_be_visible()
    expect(page.locator(f'[data-testid="refund-row"][data-payment-id="{working}"]')).to_be_visible()

    # by status
    page.get_by_role("radio", name="Failed").click()
    expect(page).to_have_url(re.compile(r"status=FAILED"))
    expect(page.locator(f'[data-testid="refund-row"][data-payment-id="{failing}"]')).to_be_visible()
    expect(page.locator(f'[data-testid="refund-row"][data-payment-id="{working}"]')).to_have_count(
        0
    )
    for r in rows.all():
        expect(r).to_have_attribute("data-status", "FAILED")

    # by payment (with the status filter still on: nothing)
    page.get_by_test_id("payment-filter").fill(working)
    expect(page).to_have_url(re.compile(rf"payment={working}"))
    expect(page.get_by_test_id("empty-state")).to_contain_text("No refunds match")
    page.get_by_role("radio", name="Succeeded").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-payment-id", working)

    # something that is not a payment id is explained, not sent
    page.get_by_test_id("payment-filter").fill("re_nonsense")
    expect(page.get_by_text("A payment id looks like pay_")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"payment={working}"))

    # a row opens its payment
    page.get_by_test_id("payment-filter").fill(working)
    expect(rows).to_have_count(1)
    page.screenshot(path=str(artifacts_dir / "browser-refunds-page.png"), full_page=True)
    rows.first.get_by_test_id("refund-payment-link").click()
    expect(page).to_have_url(re.compile(rf"#/payments/{working}$"))
    expect(page.get_by_test_id("payment-id")).to_have_text(working)


def test_dispute_opens_and_is_won_with_evidence(page: Page, artifacts_dir: Path) -> None:
    open_dashboard(page)
    payment_id = create_in_form(page, amount="75.00", card=DISPUTE_CARD)
    page.get_by_test_id("created-payment-link").click()
    expect(page.get_by_test_id("payment-status")).to_have_text("SUCCESS", timeout=FINAL_WAIT_MS)

    panel = page.get_by_test_id("dispute-panel")
    expect(panel).to_be_visible(timeout=FINAL_WAIT_MS)  # opens a few seconds after SUCCESS
    expect(panel.get_by_test_id("dispute-status")).to_have_text("NEEDS_RESPONSE")
    deadline = panel.get_by_test_id("dispute-deadline")
    expect(deadline).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"))
    expect(panel.get_by_test_id("dispute-deadline-relative")).to_have_text(re.compile(r"\(in \d+"))
    expect(panel).to_contain_text("$75.00")
    expect(moves(page, "dispute", "NEEDS_RESPONSE")).to_have_count(1, timeout=SETTLE_WAIT_MS)
    page.screenshot(path=str(artifacts_dir / "browser-dispute-open.png"), full_page=True)

    panel.get_by_label("Evidence").fill("winning_evidence: signed delivery receipt")
    panel.get_by_role("button", name="Submit evidence").click()
    expect(page.get_by_test_id("api-error")).to_have_count(0)
    expect(panel.get_by_test_id("dispute-evidence-text")).to_contain_text(
        "winning_evidence", timeout=SETTLE_WAIT_MS
    )
    expect(panel.get_by_test_id("dispute-status")).to_have_text("WON", timeout=SETTLE_WAIT_MS)
    expect(panel.get_by_test_id("dispute-outcome")).to_contain_text("Won", timeout=SETTLE_WAIT_MS)
    expect(panel.get_by_test_id("dispute-evidence-form")).to_have_count(0, timeout=SETTLE_WAIT_MS)
    expect(moves(page, "dispute", "UNDER_REVIEW")).to_have_count(1, timeout=SETTLE_WAIT_MS)
    expect(moves(page, "dispute", "WON")).to_have_count(1, timeout=SETTLE_WAIT_MS)
    page.screenshot(path=str(artifacts_dir / "browser-dispute-won.png"), full_page=True)

    # the Disputes page: by payment, then by status
    page.get_by_role("link", name="Disputes").first.click()
    expect(page.get_by_role("heading", name="Disputes")).to_be_visible()
    page.get_by_test_id("payment-filter").fill(payment_id)
    # the filter applies after a pause: wait for it (with one dispute in the stack the row
    # count alone would not tell)
    expect(page).to_have_url(re.compile(rf"payment={payment_id}"))
    rows = page.get_by_test_id("dispute-row")
    expect(rows).to_have_count(1, timeout=SETTLE_WAIT_MS)
    expect(rows.first).to_have_attribute("data-payment-id", payment_id)
    expect(rows.first.get_by_test_id("dispute-status")).to_have_text("WON")
    page.get_by_role("radio", name="Needs response").click()
    expect(page).to_have_url(re.compile(r"status=NEEDS_RESPONSE"))
    expect(page.get_by_test_id("empty-state")).to_contain_text("No disputes match")
    page.get_by_role("radio", name="Won").click()
    expect(rows).to_have_count(1)
    rows.first.click()
    expect(page).to_have_url(re.compile(rf"#/payments/{payment_id}$"))


def test_accepting_a_dispute_loses_it(page: Page, dashboard_url: str) -> None:
    payment_id = create_by_api(dashboard_url, amount=1500, card=DISPUTE_CARD)
    open_payment(page, payment_id, "SUCCESS")
    panel = page.get_by_test_id("dispute-panel")
    expect(panel.get_by_test_id("dispute-status")).to_have_text(
        "NEEDS_RESPONSE", timeout=FINAL_WAIT_MS
    )
    panel.get_by_role("button", name="Accept dispute").click()
    panel.get_by_role("button", name="Confirm accept").click()
    expect(page.get_by_test_id("api-error")).to_have_count(0)
    expect(panel.get_by_test_id("dispute-status")).to_have_text("LOST", timeout=SETTLE_WAIT_MS)
    expect(panel.get_by_test_id("dispute-outcome")).to_contain_text("Lost", timeout=SETTLE_WAIT_MS)
    expect(moves(page, "dispute", "LOST")).to_have_count(1, timeout=SETTLE_WAIT_MS)

    open_dashboard(page, f"/disputes?status=LOST&payment={payment_id}")
    expect(page.get_by_test_id("dispute-row")).to_have_count(1, timeout=SETTLE_WAIT_MS)


def test_new_pages_fit_a_phone_and_name_every_control(page: Page, artifacts_dir: Path) -> None:
    for route in ("/refunds", "/disputes"):
        open_dashboard(page, route)
        page.wait_for_load_state("networkidle")
        unnamed = page.evaluate(UNNAMED_CONTROLS_JS)
        assert unnamed == [], f"#{route} has controls without an accessible name: {unnamed}"
    page.set_viewport_size({"width": 390, "height": 844})
    for route in ("/refunds", "/disputes"):
        open_dashboard(page, route)
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"#{route} scrolls sideways by {overflow}px at 390px"
    page.screenshot(path=str(artifacts_dir / "browser-phone-disputes.png"), full_page=True)
