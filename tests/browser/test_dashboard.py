"""The dashboard in Chromium against the whole local stack: what a person would click.

Every test starts from an empty browser (no stored key): the dashboard fills the demo key
from `GET /dev/config`, the way `make dev` works. Screenshots go to test-artifacts/; the two
README pictures go to docs/screenshots/ too with PAYGATE_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import DEMO_KEY, DIST_INDEX, save_docs_screenshot

pytestmark = pytest.mark.browser

FINAL_WAIT_MS = 60_000  # a timeout payment needs ~30 s to exhaust its attempts here


def open_dashboard(page: Page, route: str = "/") -> None:
    page.goto(f"/#{route}")
    # dev mode stored the demo key; the header shows it masked
    expect(page.get_by_test_id("api-key-button").first).to_contain_text("sk_test_")


def new_payment(
    page: Page,
    *,
    scenario: str = "",
    amount: str = "12.34",
    currency: str = "USD",
    key: str | None = None,
    user_id: str | None = None,
) -> str:
    """Fill the New payment form and submit it; the id of the payment the API answered with."""
    page.get_by_role("link", name="New payment").first.click()
    expect(page.get_by_role("heading", name="New payment")).to_be_visible()
    page.get_by_label("Amount").fill(amount)
    page.get_by_label("Currency").select_option(currency)
    page.get_by_label("Scenario").select_option(scenario)
    if user_id:
        page.get_by_label("User ID").fill(user_id)
    if key is not None:
        page.get_by_label("Idempotency key", exact=True).fill(key)
    page.get_by_role("button", name="Create payment").click()
    link = page.get_by_test_id("created-payment-link")
    expect(link).to_have_text(re.compile(r"^pay_\w+$"))
    return link.inner_text()


def row(page: Page, payment_id: str) -> Locator:
    return page.locator(f'[data-testid="payment-row"][data-payment-id="{payment_id}"]')


def api(base_url: str) -> httpx.Client:
    return httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {DEMO_KEY}"}, timeout=10
    )


def wait_final(
    client: httpx.Client,
    object_id: str,
    timeout: float = 60,
    path: str = "/v1/payments",
    final: tuple[str, ...] = ("SUCCESS", "FAILED"),
) -> dict[str, Any]:
    """The object at `path/object_id` once its status is final (or as it is at the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        p: dict[str, Any] = client.get(f"{path}/{object_id}").json()
        if p["status"] in final or time.monotonic() > deadline:
            return p
        time.sleep(0.5)


CARD_PAYMENT: dict[str, Any] = {
    "amount": 2500,
    "currency": "USD",
    "payment_method": {"type": "card", "card_number": "4242424242424242"},
    "user_id": "user_browser",
}


def create_payment(client: httpx.Client, **body: Any) -> str:
    """A payment made through the API (a card payment but for what `body` says); its id."""
    r = client.post(
        "/v1/payments",
        json={**CARD_PAYMENT, **body},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_success_payment_reaches_success_in_the_table(page: Page, artifacts_dir: Path) -> None:
    open_dashboard(page)
    payment_id = new_payment(page, scenario="success", user_id="user_browser")
    expect(page.get_by_test_id("create-result")).to_contain_text("HTTP 201")
    expect(page.get_by_test_id("replayed-badge")).to_have_count(0)

    page.get_by_role("link", name="Payments").first.click()
    expect(row(page, payment_id)).to_be_visible()
    # the table refreshes by itself (no reload) until the payment is final
    expect(row(page, payment_id).get_by_test_id("status-badge")).to_have_text(
        "SUCCESS", timeout=FINAL_WAIT_MS
    )
    expect(row(page, payment_id)).to_contain_text("$12.34")
    page.screenshot(path=str(artifacts_dir / "browser-payments-success.png"))

    # filters and search narrow the same live table
    page.get_by_test_id("payment-search").fill("user_browser")
    expect(page).to_have_url(re.compile(r"q=user_browser"))
    expect(row(page, payment_id)).to_be_visible()
    for r in page.get_by_test_id("payment-row").all():
        expect(r).to_contain_text("user_browser")
    page.get_by_role("radio", name="Failed").click()
    expect(page.get_by_test_id("empty-state")).to_contain_text("No payments match")
    page.get_by_role("radio", name="Success").click()
    expect(row(page, payment_id)).to_be_visible()
    page.get_by_test_id("payment-search").fill(payment_id)
    expect(page.get_by_test_id("payment-row")).to_have_count(1)
    expect(row(page, payment_id)).to_be_visible()


def test_payment_timeline_and_webhook_deliveries(page: Page, artifacts_dir: Path) -> None:
    open_dashboard(page)
    payment_id = new_payment(page, scenario="flaky", amount="48.90", user_id="user_42")
    page.get_by_test_id("created-payment-link").click()
    expect(page).to_have_url(re.compile(rf"#/payments/{payment_id}$"))
    expect(page.get_by_test_id("payment-id")).to_have_text(payment_id)
    expect(page.get_by_test_id("payment-status")).to_have_text("SUCCESS", timeout=FINAL_WAIT_MS)

    timeline = page.get_by_test_id("timeline")
    moves = timeline.get_by_test_id("timeline-event")
    # flaky: times out once (RETRYING), then succeeds on attempt 2
    expect(timeline.locator('[data-to="RETRYING"]')).to_have_count(1)
    expect(timeline.locator('[data-to="SUCCESS"]')).to_have_count(1)
    expect(moves.last).to_contain_text("attempt 2")
    expect(timeline.get_by_test_id("timeline-reason").first).to_be_visible()
    # every move shows its time
    for move in moves.all():
        expect(move).to_contain_text(re.compile(r"\d{2}:\d{2}:\d{2}\.\d{3}"))

    # the demo endpoint received payment.succeeded: one delivery with a 200 attempt
    delivery = page.get_by_test_id("webhook-delivery").first
    expect(delivery).to_contain_text("payment.succeeded", timeout=20_000)
    expect(delivery.get_by_test_id("delivery-status")).to_have_text("SUCCESS", timeout=20_000)
    expect(delivery.get_by_test_id("delivery-attempt").first).to_contain_text("200")
    expect(page.get_by_test_id("raw-json")).to_contain_text(f'"id": "{payment_id}"')
    expect(page.get_by_role("button", name="Retry payment")).to_be_disabled()

    # redeliver: the API accepts it and the delivery gets another attempt
    attempts_before = delivery.get_by_test_id("delivery-attempt").count()
    delivery.get_by_role("button", name=re.compile("^Redeliver")).click()
    expect(delivery).to_contain_text("redelivery queued")
    expect(delivery.get_by_test_id("delivery-attempt")).to_have_count(
        attempts_before + 1, timeout=20_000
    )
    expect(delivery.get_by_test_id("delivery-status")).to_have_text("SUCCESS", timeout=20_000)
    expect(page.get_by_test_id("payment-webhook-status")).to_have_text("SUCCESS", timeout=20_000)

    page.screenshot(path=str(artifacts_dir / "browser-payment-timeline.png"), full_page=True)
    save_docs_screenshot(page, "payment-timeline.png", artifacts_dir)


def test_cursor_pagination_with_a_filter(page: Page, dashboard_url: str) -> None:
    user = f"user_pages_{uuid.uuid4().hex[:6]}"
    with api(dashboard_url) as client:
        created = []
        for i in range(12):
            wallet = {"type": "wallet", "wallet": "paytm"}
            created.append(
                create_payment(
                    client, amount=100 + i, payment_method=wallet, user_id=user, scenario="success"
                )
            )
    newest_first = list(reversed(created))

    open_dashboard(page, f"/payments?q={user}&limit=10")
    rows = page.get_by_test_id("payment-row")
    expect(rows).to_have_count(10)
    expect(rows.first).to_have_attribute("data-payment-id", newest_first[0])
    expect(page.get_by_role("button", name="Newer")).to_be_disabled()

    page.get_by_role("button", name="Older").click()
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_attribute("data-payment-id", newest_first[10])
    expect(page.get_by_text("Page 2")).to_be_visible()
    expect(page.get_by_role("button", name="Older")).to_be_disabled()

    page.get_by_role("button", name="Newer").click()
    expect(rows).to_have_count(10)
    expect(rows.first).to_have_attribute("data-payment-id", newest_first[0])


def test_timeout_payment_fails_then_retry(page: Page, artifacts_dir: Path) -> None:
    open_dashboard(page)
    new_payment(page, scenario="timeout", amount="5000", currency="JPY")
    page.get_by_test_id("created-payment-link").click()
    expect(page.get_by_test_id("payment-amount")).to_contain_text("¥5,000")
    retry = page.get_by_role("button", name="Retry payment")

    expect(page.get_by_test_id("payment-status")).to_have_text("FAILED", timeout=FINAL_WAIT_MS)
    expect(page.get_by_test_id("payment-failure")).to_contain_text("timeout")
    expect(page.get_by_test_id("payment-attempts")).to_contain_text("3 of 3")
    timeline = page.get_by_test_id("timeline")
    expect(timeline.locator('[data-to="RETRYING"]')).to_have_count(2)
    page.screenshot(path=str(artifacts_dir / "browser-timeout-failed.png"), full_page=True)

    expect(retry).to_be_enabled()
    retry.click()
    expect(page.get_by_test_id("api-error")).to_have_count(0)
    # the API's answer: FAILED → RETRYING, recorded in the audit trail as a manual move
    expect(page.get_by_test_id("retry-queued")).to_contain_text("RETRYING")
    from_failed = timeline.get_by_test_id("timeline-event").filter(
        has=page.locator('[data-testid="timeline-from"][data-status="FAILED"]')
    )
    expect(from_failed).to_have_count(1)
    expect(from_failed).to_contain_text("RETRYING")
    page.screenshot(path=str(artifacts_dir / "browser-timeout-retried.png"), full_page=True)

    # still a timeout scenario: a new generation of 3 attempts, FAILED again, retryable again
    expect(page.get_by_test_id("payment-status")).to_have_text("FAILED", timeout=FINAL_WAIT_MS)
    expect(timeline.locator('[data-to="RETRYING"]')).to_have_count(5)  # 2 + manual + 2
    expect(page.get_by_test_id("payment-attempts")).to_contain_text("3 of 3")
    expect(retry).to_be_enabled()


def test_idempotent_replay_is_shown(page: Page, artifacts_dir: Path) -> None:
    open_dashboard(page)
    key = f"browser-replay-{uuid.uuid4()}"
    first = new_payment(page, scenario="success", key=key)
    expect(page.get_by_test_id("create-result")).to_have_attribute("data-replayed", "false")

    # the same key and body again, sent from the keyboard (Enter in a field submits the form)
    page.get_by_label("Amount").press("Enter")
    expect(page.get_by_test_id("replayed-badge")).to_have_text("replayed")
    expect(page.get_by_test_id("create-result")).to_have_attribute("data-replayed", "true")
    expect(page.get_by_test_id("created-payment-link")).to_have_text(first)
    expect(page.get_by_test_id("request-log-entry")).to_have_count(2)
    page.screenshot(path=str(artifacts_dir / "browser-idempotent-replay.png"), full_page=True)


def test_reused_key_with_another_body_shows_the_422(page: Page, artifacts_dir: Path) -> None:
    open_dashboard(page)
    key = f"browser-reuse-{uuid.uuid4()}"
    new_payment(page, scenario="success", key=key, amount="10.00")
    page.get_by_label("Amount").fill("10.01")
    page.get_by_role("button", name="Create payment").click()

    error = page.get_by_test_id("api-error")
    expect(error).to_be_visible()
    expect(error.get_by_test_id("api-error-code")).to_have_text("idempotency_key_reused")
    expect(error).to_contain_text("HTTP 422")
    expect(error.get_by_test_id("api-error-message")).not_to_be_empty()
    expect(page.get_by_test_id("create-result")).to_have_count(0)
    page.screenshot(path=str(artifacts_dir / "browser-idempotency-422.png"), full_page=True)

    # a fresh key makes it a new payment again
    page.get_by_role("button", name="Generate a new idempotency key").click()
    expect(page.get_by_label("Idempotency key", exact=True)).not_to_have_value(key)
    page.get_by_role("button", name="Create payment").click()
    expect(page.get_by_test_id("create-result")).to_contain_text("HTTP 201")


def test_api_errors_are_shown_with_their_code(page: Page, artifacts_dir: Path) -> None:
    open_dashboard(page, "/payments/pay_doesnotexist")
    error = page.get_by_test_id("api-error")
    expect(error.get_by_test_id("api-error-code")).to_have_text("resource_missing")
    expect(error).to_contain_text("HTTP 404")

    # a wrong key: the 401 is shown, not swallowed
    page.evaluate("localStorage.setItem('paygate.apiKey', 'sk_test_wrong')")
    page.goto("/#/payments")
    expect(page.get_by_test_id("api-error-code").first).to_have_text("invalid_api_key")
    page.screenshot(path=str(artifacts_dir / "browser-invalid-key.png"))


def test_dead_api_shows_a_banner_and_recovers_by_itself(page: Page, artifacts_dir: Path) -> None:
    open_dashboard(page, "/payments")
    expect(page.get_by_test_id("payments-table")).to_be_visible()
    rows_before = page.get_by_test_id("payment-row").count()
    assert rows_before > 0

    # the API stops answering (connection refused), as if its process died
    page.route(
        re.compile(r".*/(v1|healthz)(/.*)?(\?.*)?$"), lambda route: route.abort("connectionrefused")
    )
    banner = page.get_by_test_id("connection-banner")
    expect(banner).to_be_visible(timeout=15_000)
    expect(banner).to_contain_text("API unreachable")
    # the last data stays on screen
    expect(page.get_by_test_id("payment-row")).to_have_count(rows_before)
    expect(page.get_by_test_id("live-indicator")).to_contain_text("Offline")
    page.screenshot(path=str(artifacts_dir / "browser-api-down.png"))

    page.unroute_all()
    expect(banner).to_have_count(0, timeout=15_000)
    expect(page.get_by_test_id("connection-restored")).to_be_visible()
    expect(page.get_by_test_id("live-indicator")).to_contain_text("Live", timeout=15_000)


def test_webhook_endpoints_add_show_secret_once_and_remove(page: Page, artifacts_dir: Path) -> None:
    open_dashboard(page)
    page.get_by_role("link", name="Webhooks").first.click()
    expect(page.get_by_test_id("endpoint-row").first).to_be_visible()  # the demo endpoint
    url = f"https://merchant.example/hooks/{uuid.uuid4().hex[:8]}"

    page.get_by_label("Endpoint URL").fill(url)
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_test_id("endpoint-secret")).to_have_text(re.compile(r"^whsec_\S+$"))
    endpoint = page.get_by_test_id("endpoint-row").filter(has_text=url)
    expect(endpoint).to_have_count(1)
    expect(endpoint).to_contain_text("payment.succeeded")
    page.screenshot(path=str(artifacts_dir / "browser-webhook-secret.png"), full_page=True)
    page.get_by_role("button", name="I saved it").click()
    expect(page.get_by_test_id("endpoint-secret")).to_have_count(0)

    endpoint.get_by_role("button", name=f"Remove {url}").click()
    endpoint.get_by_role("button", name="Confirm remove").click()
    expect(endpoint).to_have_count(0)

    # the demo receiver's own log, read straight from it (dev only)
    expect(page.get_by_test_id("receiver-deliveries")).to_contain_text("payment.", timeout=20_000)
    expect(page.get_by_test_id("receiver-deliveries")).to_contain_text("valid")


def test_phone_width_has_no_horizontal_scroll(page: Page, artifacts_dir: Path) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    for route in ("/", "/payments", "/new", "/webhooks"):
        open_dashboard(page, route)
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"#{route} scrolls sideways by {overflow}px at 390px"
    page.goto("/#/payments")
    expect(page.get_by_test_id("payment-card").first).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "browser-phone-payments.png"), full_page=True)


def test_overview_metrics_and_charts(page: Page, dashboard_url: str, artifacts_dir: Path) -> None:
    # a spread of payments (methods, outcomes, currencies) for the overview to summarise
    specs = [
        ("card", {"card_number": "4242424242424242"}, "USD", 2599),
        ("card", {"card_number": "4000000000000002"}, "EUR", 1250),
        ("upi", {"vpa": "success@paygate"}, "INR", 49900),
        ("wallet", {"wallet": "paytm"}, "INR", 19900),
        ("card", {"card_number": "4242424242424242"}, "GBP", 8000),
        ("upi", {"vpa": "failure@paygate"}, "INR", 30000),
        ("wallet", {"wallet": "applepay"}, "USD", 1599),
        ("card", {"card_number": "4000000000009995"}, "KWD", 12345),
        ("card", {"card_number": "4242424242424242"}, "JPY", 4800),
        ("upi", {"vpa": "success@paygate"}, "INR", 99900),
    ]
    with api(dashboard_url) as client:
        ids = []
        for i, (kind, details, currency, amount) in enumerate(specs):
            method = {"type": kind, **details}
            ids.append(
                create_payment(
                    client,
                    amount=amount,
                    currency=currency,
                    payment_method=method,
                    user_id=f"user_{i % 4 + 1}",
                )
            )
        finals = [wait_final(client, pid) for pid in ids]
        assert all(final["status"] in ("SUCCESS", "FAILED") for final in finals)
        # and a refund in yen, for the Refunds card
        paid = create_payment(
            client, amount=4800, currency="JPY", user_id="user_1", scenario="success"
        )
        yen = wait_final(client, paid)
        assert yen["status"] == "SUCCESS"
        refund = client.post(
            "/v1/refunds",
            json={"payment": yen["id"], "amount": 1200},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert refund.status_code == 201, refund.text
        done = wait_final(
            client, refund.json()["id"], path="/v1/refunds", final=("SUCCEEDED", "FAILED")
        )
        assert done["status"] == "SUCCEEDED", done
        metrics = client.get("/v1/metrics").json()

    open_dashboard(page)
    total = page.get_by_test_id("metric-total-value")
    expect(total).to_have_text(re.compile(r"^[\d,]+$"))
    assert int(total.inner_text().replace(",", "")) >= metrics["total"]
    expect(page.get_by_test_id("metric-success-rate-value")).to_have_text(re.compile(r"^\d+\.\d%$"))
    expect(page.get_by_test_id("metric-failure-rate-value")).to_have_text(re.compile(r"^\d+\.\d%$"))
    expect(page.get_by_test_id("metric-webhook-success-value")).to_have_text(re.compile(r"\d%$"))
    expect(page.get_by_test_id("metric-latency-value")).to_contain_text("ms")
    expect(page.get_by_test_id("metric-latency-p95")).to_contain_text("p95")
    refunds = page.get_by_test_id("metric-refunds-value")
    expect(refunds).to_have_text(re.compile(r"^[\d,]+"))
    succeeded = re.match(r"[\d,]+", refunds.inner_text())
    assert succeeded is not None
    assert int(succeeded.group().replace(",", "")) >= metrics["refunds"]["succeeded"] >= 1
    detail = page.get_by_test_id("metric-refunds-detail")
    expect(detail).to_contain_text("¥")
    expect(detail).to_contain_text("refunded")
    if metrics["refunds"]["pending"] + metrics["refunds"]["failed"]:
        expect(page.get_by_test_id("metric-refunds-note")).to_contain_text("pending")
    for chart in ("chart-per-minute", "chart-status", "chart-methods"):
        expect(page.get_by_test_id(chart).locator("svg").first).to_be_visible()
    expect(page.get_by_test_id("chart-methods")).to_contain_text("upi")
    expect(page.get_by_test_id("payment-row").first).to_be_visible()

    # live: a payment made elsewhere shows up without a reload, and scroll stays where it was
    page.mouse.wheel(0, 300)
    page.wait_for_function("window.scrollY > 0", timeout=30_000)  # the wheel has scrolled
    scroll_before = page.evaluate("window.scrollY")
    before = int(total.inner_text().replace(",", ""))
    with api(dashboard_url) as client:
        wallet = {"type": "wallet", "wallet": "paytm"}
        create_payment(client, amount=100, payment_method=wallet, user_id="user_live")
    expect(total).to_have_text(f"{before + 1:,}", timeout=10_000)
    assert page.evaluate("window.scrollY") == scroll_before

    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(2500)  # one more refresh so "updated" reads fresh
    page.screenshot(path=str(artifacts_dir / "browser-overview.png"), full_page=True)
    save_docs_screenshot(page, "overview.png", artifacts_dir)


UNNAMED_CONTROLS_JS = """
() => [...document.querySelectorAll('input, select, textarea, button, a[href]')]
  .filter((el) => el.getClientRects().length > 0 || (el.type === 'radio' && el.closest('label')))
  .filter((el) => {
    const labelled = (el.labels && [...el.labels].some((l) => l.textContent.trim()))
      || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.title;
    return !labelled && !el.textContent.trim();
  })
  .map((el) => el.outerHTML.slice(0, 120))
"""


def test_every_control_has_a_name_and_the_keyboard_works(page: Page, artifacts_dir: Path) -> None:
    for route in ("/", "/payments", "/new", "/webhooks"):
        open_dashboard(page, route)
        page.wait_for_load_state("networkidle")
        unnamed = page.evaluate(UNNAMED_CONTROLS_JS)
        assert unnamed == [], f"#{route} has controls without an accessible name: {unnamed}"

    # keyboard only: arrow keys move between payment methods, Enter submits
    open_dashboard(page, "/new")
    page.get_by_role("radio", name="Card").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="UPI")).to_be_checked()
    expect(page.get_by_label("UPI VPA")).to_be_visible()
    page.get_by_label("UPI VPA").fill("success@paygate")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("create-result")).to_contain_text("HTTP 201")
    expect(page.get_by_test_id("created-payment-link")).to_have_text(re.compile(r"^pay_"))
    page.screenshot(path=str(artifacts_dir / "browser-keyboard.png"))


def test_the_build_carries_no_api_key(dashboard_url: str) -> None:
    """The key comes from local storage (or /dev/config at run time), never from the bundle."""
    assets = DIST_INDEX.parent / "assets"
    bundles = list(assets.glob("*.js"))
    assert bundles, "no JavaScript in frontend/dist/assets"
    for bundle in bundles:
        text = bundle.read_text(encoding="utf-8", errors="replace")
        assert DEMO_KEY not in text, f"{bundle.name} contains the demo API key"
        assert not re.search(r"sk_(test|live)_[A-Za-z0-9]{4,}", text), (
            f"{bundle.name} contains an API key"
        )
