"""The recorder the browser tests rely on to say that nothing left this machine: it must hear a request
to another host even when that request succeeds."""

from __future__ import annotations

import pytest

from tests.browser.network import Traffic, leaves_this_machine
from tests.browser.test_dashboard_in_browser import CHROMIUM, FLAGS

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("url", "leaves"), [
    ("http://127.0.0.1:8501/_stcore/health", False), ("ws://localhost:8501/_stcore/stream", False),
    ("http://[::1]:8501/", False), ("http://127.0.1.1/", False), ("data:image/png;base64,AAAA", False),
    ("blob:http://127.0.0.1:8501/0b6c", False), ("about:blank", False),
    ("https://example.org/", True), ("http://192.0.2.2:8501/", True), ("http://[fd00::2]:8501/", True),
    ("http://localhost.example.org/", True), ("file:///etc/passwd", True),
])
def test_only_loopback_and_in_browser_addresses_stay_on_this_machine(url: str, leaves: bool) -> None:
    assert leaves_this_machine(url) is leaves


def test_a_request_to_another_host_is_recorded_even_when_it_succeeds() -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        context = browser.new_context()
        traffic = Traffic(context)
        # Answered inside the browser, so nothing is sent, yet to the page the fetch succeeds.
        context.route("https://example.org/**", lambda route: route.fulfill(status=200, body="ok"))
        page = context.new_page()
        page.set_content("<p>A page</p>")
        answer = page.evaluate("fetch('https://example.org/figures.json').then(r => r.text())")
        browser.close()
    assert answer == "ok"
    assert traffic.outside() == ["https://example.org/figures.json"]
