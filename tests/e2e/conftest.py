"""Browser tests: Debian's Chromium driven by Playwright, against pytest-django's live
server. Playwright's own browser download cannot work offline; we never use it."""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("MALL_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(
    os.environ.get("MALL_ARTIFACTS", Path(__file__).resolve().parents[2] / ".run" / "artifacts")
)


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module. Module scope, not session: while Playwright's event
    loop runs in this thread, Django needs DJANGO_ALLOW_ASYNC_UNSAFE for the ORM calls
    the tests (and the database teardown) make, and no other test should inherit that."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium not found at {CHROMIUM}: bin/test installs Debian's chromium.")
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def artifacts_dir():
    path = ARTIFACTS / "e2e"
    path.mkdir(parents=True, exist_ok=True)
    return path
