"""Access control for real: a local OpenID Connect provider, sign-in in the browser, and the
uploaders list deciding who may upload. The app runs with the shipped .streamlit/config.toml; no
request from the browser may leave this machine."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.browser.network import Traffic
from tests.browser.server import dashboard, free_port

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "test-artefacts" / "browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def provider() -> Iterator[int]:
    from oidc_provider_mock import User, run_server_in_thread

    users = [User(sub="uploader", claims={"email": "uploader@example.org", "name": "Uploader"}),
             User(sub="reader", claims={"email": "reader@example.org", "name": "Reader"})]
    with run_server_in_thread(port=free_port(), user_claims=users) as server:
        yield server.server_port


@contextmanager
def _dashboard(provider: int, folder: Path) -> Iterator[str]:
    """The dashboard with sign-in configured, started fresh; its address."""
    port = free_port()
    (folder / ".streamlit").mkdir()
    shutil.copy(ROOT / ".streamlit" / "config.toml", folder / ".streamlit" / "config.toml")
    (folder / ".streamlit" / "secrets.toml").write_text(f'''
[auth]
redirect_uri = "http://localhost:{port}/oauth2callback"
cookie_secret = "a-test-cookie-secret-of-enough-length"
client_id = "dashboard"
client_secret = "dashboard-secret"
server_metadata_url = "http://localhost:{provider}/.well-known/openid-configuration"

[access]
uploaders = ["uploader@example.org"]
''')
    env = {**os.environ, "KPI_DB": str(folder / "db.duckdb"), "KPI_CLIENT_KEY_FILE": str(folder / "k.key")}
    env.pop("KPI_UPLOADERS", None)
    with dashboard(env, port=port, cwd=folder):
        yield f"http://localhost:{port}"


@pytest.fixture(scope="module")
def app(provider: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _dashboard(provider, tmp_path_factory.mktemp("signin")) as address:
        yield address


@contextmanager
def _browser_page(p, provider: int) -> Iterator[object]:  # noqa: ANN001
    """A page in a new browser; on leaving, no request the dashboard's pages made may have left this
    machine. (The provider's sign-in form fetches a stylesheet from a CDN: that is the provider's affair.)"""
    browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    traffic = Traffic(context, other_services=(f"http://localhost:{provider}/",))
    try:
        yield context.new_page()
    finally:
        browser.close()
    assert not traffic.outside(), f"the browser asked another host: {traffic.outside()}"


def _sign_in(pg, app: str, who: str) -> None:  # noqa: ANN001
    pg.goto(app)
    pg.get_by_role("button", name="Sign in").click()
    pg.locator("input[name=sub]").fill(who)
    pg.get_by_role("button", name="Authorize").click()
    pg.locator("[data-testid='stSidebarNav']").wait_for(timeout=60_000)


def _shows_only_sign_in(pg) -> None:  # noqa: ANN001
    """The sign-in page and nothing else: no page of the dashboard, and no way to one."""
    _settle(pg)
    assert pg.locator("[data-testid='stMain'] h1").all_inner_texts() == ["Drug and alcohol treatment performance"]
    assert pg.get_by_role("button", name="Sign in").count() == 1
    assert pg.locator("[data-testid='stSidebar'], [data-testid='stSidebarNav']").count() == 0
    links = [a.get_attribute("href") or "" for a in pg.locator("a").all()]
    assert all(link.startswith("#") for link in links), f"links away from the sign-in page: {links}"
    assert pg.locator("input[type=file]").count() == 0
    assert "Upload extracts" not in pg.inner_text("body")


def _settle(pg) -> None:  # noqa: ANN001
    """Wait until the page has a heading and the app has finished running its script."""
    pg.locator("[data-testid='stMain'] h1").first.wait_for(timeout=60_000)
    pg.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    pg.wait_for_timeout(500)


def _upload_page(pg) -> str:  # noqa: ANN001
    pg.locator("[data-testid='stSidebarNav'] a", has_text="Upload").first.click()
    # The history comes after the upload form (or the note that uploading is for others): all is drawn.
    pg.get_by_role("heading", name="Upload history").wait_for(timeout=60_000)
    _settle(pg)
    # Text from outside (the e-mail address) is shown as plain text: an invisible word joiner before '@'
    # keeps Streamlit from making it a link; read the words as a person sees them.
    return pg.inner_text("body").replace("\u2060", "")


def test_sign_in_is_required_and_only_uploaders_upload(app: str, provider: int) -> None:
    from playwright.sync_api import sync_playwright

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        with _browser_page(p, provider) as pg:
            pg.goto(app)
            _shows_only_sign_in(pg)
            pg.screenshot(path=str(ARTEFACTS / "20-sign-in.png"))
            pg.goto(f"{app}/upload")
            _shows_only_sign_in(pg)
            pg.screenshot(path=str(ARTEFACTS / "20-sign-in-for-upload.png"))

        with _browser_page(p, provider) as pg:
            _sign_in(pg, app, "uploader")
            body = _upload_page(pg)
            assert "Signed in as uploader@example.org (can upload and withdraw)" in body
            assert pg.locator("input[type=file]").count() >= 1
            pg.screenshot(path=str(ARTEFACTS / "21-uploader.png"))

        with _browser_page(p, provider) as pg:
            _sign_in(pg, app, "reader")
            body = _upload_page(pg)
            assert "Signed in as reader@example.org (can browse and export)" in body
            assert "Uploading, withdrawing and changing targets are for the people on the uploaders list" in body
            assert pg.locator("input[type=file]").count() == 0
            pg.screenshot(path=str(ARTEFACTS / "22-reader.png"))


def test_the_first_visitor_after_a_start_still_meets_the_sign_in(provider: int, tmp_path: Path) -> None:
    """Streamlit takes pages/ beside app.py for an old-style pages folder until app.py has run once: the
    first visitor to /upload got pages/upload.py without the sign-in. serve.py starts it told otherwise."""
    from playwright.sync_api import sync_playwright

    with _dashboard(provider, tmp_path) as fresh, sync_playwright() as p, _browser_page(p, provider) as pg:
        pg.goto(f"{fresh}/upload")
        _shows_only_sign_in(pg)
