"""The dashboard made ready before the first person arrives (``serve.py`` calls :func:`start`).

A new session on a just-started server used to wait about 8 times as long as the next one
(issue 15): it paid for importing pandas, plotly, scipy, openpyxl and the product's modules, for
DuckDB's first reads of its file, and for the default page's reads, which Streamlit then caches for
everyone. :func:`start` imports those modules before the server listens, then, once it listens,
opens the default page once, as a browser's session does (Streamlit's own websocket protocol), so
that its reads are in the caches. Nothing here can stop the server: a warm-up that fails is logged.
"""

from __future__ import annotations

import logging
import threading
import time

DONE = "Warm-up done"  # logged when the first page has been drawn once (the benchmark waits for it)


def start() -> None:
    """Import what every first page needs now; open the first page once the server listens."""
    caching = logging.getLogger("streamlit.runtime.caching.cache_data_api")
    level = caching.level
    # Decorating Streamlit's caches before its runtime exists only logs that there is none yet.
    caching.setLevel(logging.ERROR)
    try:
        import charts.display  # noqa: F401
        import charts.figures  # noqa: F401
        import metrics.coverage  # noqa: F401
        import pages.downloads  # noqa: F401
        import pages.state  # noqa: F401
    finally:
        caching.setLevel(level)
    threading.Thread(target=_first_page, name="warm-up", daemon=True).start()


def _first_page(timeout: float = 300.0) -> None:
    from streamlit import config, runtime
    from streamlit.logger import get_logger
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    started = time.perf_counter()
    try:
        while not runtime.exists():  # the command line has not started the server yet
            if time.perf_counter() - started > timeout:
                return
            time.sleep(0.1)
        address = config.get_option("server.address") or "127.0.0.1"
        host = "127.0.0.1" if address in ("0.0.0.0", "::") else address
        base = (config.get_option("server.baseUrlPath") or "").strip("/")
        url = f"ws://{host}:{config.get_option('server.port')}/{base + '/' if base else ''}_stcore/stream"
        while True:
            try:
                ws = connect(url, subprotocols=["streamlit"], open_timeout=5, max_size=None)
                break
            except OSError:  # not listening yet
                if time.perf_counter() - started > timeout:
                    return
                time.sleep(0.2)
        with ws:
            message = BackMsg()
            message.rerun_script.query_string = ""
            message.rerun_script.page_script_hash = ""
            ws.send(message.SerializeToString())
            while time.perf_counter() - started < timeout:
                reply = ForwardMsg()
                reply.ParseFromString(ws.recv(timeout=timeout))
                if reply.WhichOneof("type") == "script_finished":
                    break
        get_logger(__name__).info("%s in %.1f s: the first page's reads are cached.", DONE, time.perf_counter() - started)
    except Exception:  # noqa: BLE001 - the dashboard serves without it, only the first page is slower
        get_logger(__name__).warning("The warm-up did not finish; the first page will take longer.", exc_info=True)
