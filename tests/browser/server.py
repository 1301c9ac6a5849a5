"""The real dashboard started for a browser test: ``serve.py`` on a free loopback port, waited for until it
listens, stopped afterwards (shared by the browser test modules)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench.browser import stop_app

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def dashboard(env: dict[str, str], *, port: int | None = None, cwd: Path = ROOT,
              start_within: float = 60) -> Iterator[int]:
    """Start the dashboard as ``make run`` does (no --server.address: the shipped settings must keep it
    private) with ``env``; yield its port once it listens; stop it. Its output is discarded: a pipe nobody
    reads fills up and stalls the server."""
    port = port or free_port()
    server = subprocess.Popen([sys.executable, str(ROOT / "serve.py"), "--server.headless", "true",
                               "--server.port", str(port)], cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.time() + start_within
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.3)
    else:
        server.kill()
        pytest.fail(f"The dashboard did not start within {start_within:.0f} s")
    try:
        yield port
    finally:
        stop_app(server)
        time.sleep(0.1)
