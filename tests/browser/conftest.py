"""Chromium (Debian's, never a downloaded build) driving the dashboard the functions host serves.

A missing browser or an unbuilt dashboard fails these tests: they are never skipped.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    Page,
    Playwright,
    ViewportSize,
    expect,
    sync_playwright,
)

from devstack.processes import ManagedProcess
from devstack.stack import PROJECT_ROOT, StackConfig

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DIST_INDEX = PROJECT_ROOT / "frontend" / "dist" / "index.html"
DOCS_SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
DEMO_KEY = "sk_test_demo"
# The README pictures are rewritten only on request, so a test run leaves the tree clean:
#   PAYGATE_UPDATE_SCREENSHOTS=1 .venv/bin/pytest tests/browser
UPDATE_DOCS_SCREENSHOTS = os.environ.get("PAYGATE_UPDATE_SCREENSHOTS") == "1"
DESKTOP: ViewportSize = {"width": 1440, "height": 900}
# Playwright's `expect` polls for 5 s unless told otherwise: too short for a loaded 2-core CI
# machine, where a click's answer and the page's next refresh can take longer. Every `expect`
# without its own timeout polls this long (it returns as soon as the condition holds).
EXPECT_TIMEOUT_MS = 30_000
expect.set_options(timeout=EXPECT_TIMEOUT_MS)


def save_docs_screenshot(page: Page, name: str, artifacts_dir: Path) -> None:
    """`name` into test-artifacts/ always, and into docs/screenshots/ when asked to."""
    page.screenshot(path=str(artifacts_dir / f"docs-{name}"))
    if UPDATE_DOCS_SCREENSHOTS:
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_SCREENSHOTS / name))


@pytest.fixture(scope="package")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        found = shutil.which("chromium")
        pytest.fail(
            f"{CHROMIUM} is missing (chromium on PATH: {found}); install Debian's package: "
            "apt-get install -y chromium",
            pytrace=False,
        )
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def stack_logs_kept(stack_cfg: StackConfig, artifacts_dir: Path) -> Iterator[None]:
    """Copy the stack's logs next to the screenshots at the end, to explain a failure later."""
    yield
    logs = stack_cfg.data_dir / "logs"
    if logs.is_dir():
        shutil.copytree(logs, artifacts_dir / "browser-stack-logs", dirs_exist_ok=True)


@pytest.fixture(scope="session")
def dashboard_url(
    stack_cfg: StackConfig, functions_service: ManagedProcess, stack_logs_kept: None
) -> str:
    if not DIST_INDEX.is_file():
        pytest.fail(
            f"{DIST_INDEX} is missing: build the dashboard first (cd frontend && npm run build)",
            pytrace=False,
        )
    return stack_cfg.functions_url


@pytest.fixture
def page(
    browser: Browser, dashboard_url: str, artifacts_dir: Path, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A fresh browser context (empty local storage) on the dashboard; a screenshot at the end.

    An uncaught exception in the page fails the test.
    """
    context = browser.new_context(viewport=DESKTOP, base_url=dashboard_url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    yield page
    try:
        page.screenshot(
            path=str(artifacts_dir / f"browser-{request.node.name}-end.png"), full_page=True
        )
    finally:
        context.close()
    assert not page_errors, f"uncaught errors in the page: {page_errors}"
