"""The engineers' page in Debian's chromium (Playwright) at 1280 px and 390 px, driven by the
keyboard: the answer beside the ranked results with snippets, source, owner, status, last review
and the successor of a stale page as a link; Enter submits and Shift+Enter does not; a loading
state; a rejected token is cleared; thumbs down with a comment is stored as the caller. The
screenshots in docs/screenshots/ come from these tests."""

from __future__ import annotations

from typing import Any

import pytest

from kb.runtime import Runtime
from kb.store.feedback import FeedbackStore
from tests.conftest import ROOT
from tests.kb.api.conftest import USERS
from tests.kb.api.test_page_browser import CHROMIUM

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium"),
]

SHOTS = ROOT / "docs" / "screenshots"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


def open_page(browser: Any, live_url: str, size: str, path: str = "/") -> tuple[Any, list[str]]:
    """A page of ``size`` at ``live_url + path``, with the list its script errors go to."""
    width, height = WIDTHS[size]
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_url + path)
    return page, errors


def ask_by_keyboard(page: Any, token: str, question: str) -> None:
    page.get_by_label("Access token").focus()
    page.keyboard.type(token)
    page.keyboard.press("Tab")  # to "Forget"
    page.keyboard.press("Tab")  # to the question
    page.keyboard.type(question)
    page.keyboard.press("Enter")


def test_warning_names_the_stale_page_as_a_link(browser: Any, live_url: str) -> None:
    page, errors = open_page(browser, live_url, "desktop")
    ask_by_keyboard(page, USERS["engineer"][0], "How are invoices generated?")
    page.locator("#results li").first.wait_for(state="visible", timeout=120_000)
    assert "Stripe Billing creates the invoice" in page.locator("#answer").inner_text()
    warning = page.locator("#warnings li").filter(has_text="Billing Spec (2021)")
    stale_link = warning.get_by_role("link", name="'Billing Spec (2021)'")
    assert stale_link.get_attribute("href", timeout=5_000).startswith("https://")
    assert errors == []
    page.close()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_answer_beside_ranked_results_by_keyboard(browser: Any, live_url: str, size: str) -> None:
    page, errors = open_page(browser, live_url, size)
    ask_by_keyboard(page, USERS["engineer"][0], "How do we handle a chargeback?")
    results = page.locator("#results li")
    results.first.wait_for(state="visible", timeout=120_000)
    assert page.locator("#answer").inner_text().strip()

    texts = results.all_inner_texts()
    assert len(texts) >= 3
    assert all(
        ("Notion" in t or "Drive" in t) and "owner" in t and ("last reviewed" in t or "never reviewed" in t)
        for t in texts
    )
    assert all(r.locator(".snippet").count() >= 1 for r in results.all())
    by_title = {r.inner_text().split("\n")[0]: r for r in results.all()}
    stale = next(r for t, r in by_title.items() if t.startswith("Chargeback Handling Process v1"))
    assert stale.locator(".badge").inner_text() == "superseded"
    assert "Drive" in stale.locator(".src").inner_text()
    successor = stale.locator(".successor").get_by_role("link", name="Chargeback Handling Process v2")
    assert successor.get_attribute("href", timeout=5_000).startswith(("https://", "#result-"))
    fresh = next(r for t, r in by_title.items() if t.startswith("Chargeback Handling Process v2"))
    assert fresh.locator(".successor").count() == 0

    answer_box = page.locator("#answer").bounding_box()
    results_box = page.locator("#results").bounding_box()
    if size == "desktop":
        assert results_box["x"] > answer_box["x"] + answer_box["width"] - 1  # side by side
    else:
        assert results_box["y"] > answer_box["y"]  # stacked
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"page-{size}.png"), full_page=size == "desktop")
    assert errors == []
    page.close()


def test_shift_enter_is_a_new_line_and_enter_shows_the_loading_state(browser: Any, live_url: str) -> None:
    page, _ = open_page(browser, live_url, "desktop")

    held: list[Any] = []  # the ask is held until the loading state has been checked

    def hold(route: Any) -> None:
        held.append(route)

    page.route("**/v1/ask", hold)
    page.get_by_label("Access token").fill(USERS["engineer"][0])
    question = page.get_by_label("Question")
    question.focus()
    page.keyboard.type("How are invoices")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("generated?")
    assert question.input_value() == "How are invoices\ngenerated?"
    assert page.locator("#result").is_hidden() and page.locator("#loading").is_hidden()
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Asking…").wait_for(state="visible", timeout=5_000)
    assert page.get_by_role("status").filter(has_text="Searching").is_visible()
    assert page.get_by_role("button", name="Asking…").is_disabled()
    while not held:
        page.wait_for_timeout(50)
    held[0].continue_()
    page.locator("#result").wait_for(state="visible", timeout=120_000)
    assert page.locator("#loading").is_hidden()
    assert page.get_by_role("button", name="Ask", exact=True).is_enabled()
    page.close()


def test_rejected_token_is_cleared(browser: Any, live_url: str) -> None:
    page, _ = open_page(browser, live_url, "phone")
    ask_by_keyboard(page, "not-a-token", "How are invoices generated?")
    page.get_by_role("alert").wait_for(state="visible", timeout=30_000)
    assert page.get_by_role("alert").inner_text() == "Token rejected: invalid token"
    assert page.get_by_label("Access token").input_value() == ""
    assert page.evaluate("sessionStorage.getItem('freshkb.token')") is None
    page.reload()
    assert page.get_by_label("Access token").input_value() == ""
    page.close()


def test_thumbs_down_with_a_comment_is_stored_as_the_caller(
    browser: Any, live_url: str, api_runtime: Runtime
) -> None:
    page, errors = open_page(browser, live_url, "desktop")
    ask_by_keyboard(page, USERS["hr"][0], "How many weeks of parental leave do birthing parents get?")
    page.locator("#result").wait_for(state="visible", timeout=120_000)
    send = page.get_by_role("button", name="Send feedback")
    assert send.is_disabled()  # nothing to send before a thumb is chosen
    page.get_by_role("button", name="Not helpful").focus()
    page.keyboard.press("Enter")
    assert page.get_by_role("button", name="Not helpful").get_attribute("aria-pressed") == "true"
    page.get_by_label("Comment (optional)").fill("Missing the adoption policy")
    send.focus()
    page.keyboard.press("Enter")
    page.get_by_text("Thanks, your feedback was recorded.").wait_for(timeout=30_000)
    stored = FeedbackStore(api_runtime.db).list(limit=1)[0]
    assert (stored.user, stored.rating, stored.comment) == (
        "omar.haddad@acme.com",
        "down",
        "Missing the adoption policy",
    )
    assert stored.question == "How many weeks of parental leave do birthing parents get?"
    assert stored.doc_ids and stored.answer
    page.screenshot(path=str(SHOTS / "page-feedback.png"))
    assert errors == []
    page.close()
