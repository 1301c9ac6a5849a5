"""Start the dashboard: ``python serve.py [Streamlit options]`` is ``streamlit run app.py`` done safely.

Streamlit takes a folder named ``pages/`` beside the main script for an old-style multipage folder
until the main script has called ``st.navigation`` once. On a freshly started server the first
visitor who opened ``/upload`` (a bookmark, a link in an e-mail) would run ``pages/upload.py``
on its own, without ``app.py``'s sign-in and shared sidebar, and see every module in ``pages/``
listed as a page. The product's pages live in ``pages/`` (the house layout), so the server is
started having told Streamlit that it is not such a folder: ``app.py`` always runs first.
``make run``, the tests and the benchmark start the dashboard this way.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

import warm_up

APP = Path(__file__).resolve().with_name("app.py")


def main(argv: list[str] | None = None) -> None:
    PagesManager.uses_pages_directory = False
    # Streamlit collects every generation of garbage after each script run, holding the GIL: with 20
    # sessions at once that was a quarter of the server's CPU and halved its throughput (bench/README.md,
    # "Many people at once"). Python's own collector still runs; the harness's memory figures hold.
    os.environ.setdefault("STREAMLIT_RUNNER_POST_SCRIPT_GC", "false")
    warm_up.start()  # the first page's imports and reads, before the first person waits for them
    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    cli.main()


if __name__ == "__main__":
    main()
