"""Shared by the page tests: the app run under Streamlit's AppTest, opened at one page."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def open_page(page: str, *, timeout: float = 240) -> AppTest:
    """The app run once, then switched to ``pages/<page>.py`` (the Overview is the app's first page)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.run()
    if page != "overview":
        at.switch_page(f"pages/{page}.py")
        at.run()
    return at
