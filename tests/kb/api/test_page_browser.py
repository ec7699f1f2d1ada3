"""The web page in a real browser (Debian chromium driven by Playwright) against a real uvicorn
serving the example data: enter a token, ask a billing question, see the answer, the numbered
citations with freshness badges, and the warning about the 2021 spec."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.kb.api.conftest import USERS

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian chromium at /usr/bin/chromium (install it with scripts/install-chromium.sh)",
    ),
]


def test_ask_a_billing_question_in_the_page(browser: Any, live_url: str) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_url + "/")
    page.get_by_label("Access token").fill(USERS["engineer"][0])
    page.get_by_label("Question").fill("How are invoices generated?")
    page.get_by_role("button", name="Ask").click()

    answer = page.locator("#answer")
    answer.wait_for(state="visible", timeout=120_000)
    assert "Stripe Billing creates the invoice" in answer.inner_text()
    assert "[1]" in answer.inner_text()

    first = page.locator("#citations li").first
    assert "Billing Migration Q4 2026" in first.inner_text()
    assert first.locator(".badge").inner_text() == "fresh"
    assert "owner priya.nair@acme.com" in first.inner_text()
    assert "last reviewed 2026-10-20" in first.inner_text()
    assert (
        first.get_by_role("link", name="Billing Migration Q4 2026")
        .get_attribute("href", timeout=5000)
        .startswith("https://")
    )
    warnings = page.locator("#warnings li").all_inner_texts()
    assert any("Billing Spec (2021)" in w and "2021-03-01" in w for w in warnings)
    # The token is kept for the tab, so a reload does not ask for it again.
    page.reload()
    assert page.get_by_label("Access token").input_value() == USERS["engineer"][0]
    assert errors == []
    page.close()


def test_rejected_token_is_shown_not_thrown(browser: Any, live_url: str) -> None:
    page = browser.new_page()
    page.goto(live_url + "/")
    page.get_by_label("Access token").fill("not-a-token")
    page.get_by_label("Question").fill("How are invoices generated?")
    page.get_by_role("button", name="Ask").click()
    alert = page.get_by_role("alert")
    alert.wait_for(state="visible", timeout=30_000)
    assert alert.inner_text() == "Token rejected: invalid token"
    assert page.locator("#result").is_hidden()
    page.close()
