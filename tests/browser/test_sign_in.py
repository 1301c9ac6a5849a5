"""Access control for real: a local OpenID Connect provider, sign-in in the browser, and the
uploaders list deciding who may upload."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "test-artefacts" / "browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def provider() -> Iterator[int]:
    from oidc_provider_mock import User, run_server_in_thread

    users = [User(sub="uploader", claims={"email": "uploader@example.org", "name": "Uploader"}),
             User(sub="reader", claims={"email": "reader@example.org", "name": "Reader"})]
    with run_server_in_thread(port=_free_port(), user_claims=users) as server:
        yield server.server_port


@pytest.fixture(scope="module")
def app(provider: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("signin")
    port = _free_port()
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
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "localhost"],
        cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.3)
    yield f"http://localhost:{port}"
    server.terminate()
    server.wait(timeout=10)


def _sign_in(pg, app: str, who: str) -> None:  # noqa: ANN001
    pg.goto(app)
    pg.get_by_role("button", name="Sign in").click()
    pg.locator("input[name=sub]").fill(who)
    pg.get_by_role("button", name="Authorize").click()
    pg.locator("[data-testid='stSidebarNav']").wait_for(timeout=60_000)


def _upload_page(pg) -> str:  # noqa: ANN001
    pg.locator("[data-testid='stSidebarNav'] a", has_text="Upload").first.click()
    pg.locator("[data-testid='stMain'] h1").first.wait_for(timeout=60_000)
    pg.wait_for_timeout(1500)
    return pg.inner_text("body")


def test_sign_in_is_required_and_only_uploaders_upload(app: str) -> None:
    from playwright.sync_api import sync_playwright

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        pg = browser.new_page(viewport={"width": 1400, "height": 900})
        pg.goto(app)
        pg.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
        assert "Upload" not in pg.inner_text("[data-testid='stSidebar']") if pg.locator(
            "[data-testid='stSidebar']").count() else True
        pg.screenshot(path=str(ARTEFACTS / "20-sign-in.png"))

        _sign_in(pg, app, "uploader")
        body = _upload_page(pg)
        assert "Signed in as uploader@example.org (can upload and withdraw)" in body
        assert pg.locator("input[type=file]").count() >= 1
        pg.screenshot(path=str(ARTEFACTS / "21-uploader.png"))
        browser.close()

        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        pg = browser.new_page(viewport={"width": 1400, "height": 900})
        _sign_in(pg, app, "reader")
        body = _upload_page(pg)
        assert "Signed in as reader@example.org (can browse and export)" in body
        assert "Uploading, withdrawing and changing targets are for the people on the uploaders list" in body
        assert pg.locator("input[type=file]").count() == 0
        pg.screenshot(path=str(ARTEFACTS / "22-reader.png"))
        browser.close()
