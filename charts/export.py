"""Static export of charts (PNG, SVG, PDF) for board papers, through plotly and kaleido.

Kaleido 1.x drives a headless Chromium. Starting it takes a few seconds, so the first export
in a process checks the browser with a one-off render, then starts kaleido's shared server;
later exports reuse it (a fraction of a second each). Exports are serialised by a lock,
because the shared server answers one request at a time.

Sizes are physical: ``width_mm`` is laid out at 96 CSS pixels per inch, so a 12 px label prints
at 9 pt, and a PNG is rendered at ``dpi`` (an A4 column, 170 mm at 300 dpi, is about 2,008
pixels wide). SVG and PDF are vector and come out at the physical size.
"""

from __future__ import annotations

import math
import os
import shutil
import threading
import warnings
from typing import Literal

import plotly.graph_objects as go

from charts.theme import FONT_FAMILY, TEXT

Format = Literal["png", "svg", "pdf"]
FORMATS: tuple[str, ...] = ("png", "svg", "pdf")
CSS_PX_PER_INCH = 96
MM_PER_INCH = 25.4
DEFAULT_ASPECT = 0.62  # height / width when the figure does not set a height

_BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
_INSTALL_HINT = (
    "Install Chromium with `make system` (or `sudo apt-get install chromium` on Debian/Ubuntu), "
    "or set the BROWSER_PATH environment variable to a Chrome or Chromium executable, then try again."
)

_lock = threading.Lock()
_server_ready = False


class ExportUnavailable(RuntimeError):
    """A chart cannot be exported as a file on this computer; the message says what to install."""


def export_size(fig: go.Figure, *, width_mm: float = 170, dpi: int = 300,
                height_mm: float | None = None) -> tuple[int, int, float]:
    """The CSS width and height (pixels at 96 per inch) and the scale for a PNG at ``dpi``.

    The height is ``height_mm`` when given, else the figure's own height scaled to the width
    the figure was designed for, else 62% of the width.
    """
    if width_mm <= 0 or dpi <= 0:
        raise ValueError("width_mm and dpi must be positive.")
    width = round(width_mm / MM_PER_INCH * CSS_PX_PER_INCH)
    if height_mm is not None:
        height = round(height_mm / MM_PER_INCH * CSS_PX_PER_INCH)
    elif fig.layout.height:
        height = int(fig.layout.height)
    else:
        height = round(width * DEFAULT_ASPECT)
    # The scale that makes the PNG as many pixels wide as the print size asks for; the half
    # pixel keeps Chromium's rounding down from losing the last one.
    scale = (math.ceil(width_mm / MM_PER_INCH * dpi) + 0.5) / width
    return width, height, scale


def print_ready(fig: go.Figure) -> go.Figure:
    """A copy of ``fig`` for paper: white background, house fonts in near-black, no hover."""
    out = go.Figure(fig)
    out.update_layout(paper_bgcolor="white", plot_bgcolor="white", hovermode=False,
                      font={"family": FONT_FAMILY, "color": TEXT})
    return out


def browser_path() -> str | None:
    """The Chrome/Chromium kaleido will use, or None when there is none."""
    explicit = os.environ.get("BROWSER_PATH")
    if explicit:
        return explicit if os.path.isfile(explicit) and os.access(explicit, os.X_OK) else None
    try:
        from choreographer.browsers.chromium import Chromium

        found = Chromium.find_browser(skip_local=False)
    except Exception:  # noqa: BLE001 - an internal of kaleido's dependency; fall back to PATH
        found = None
    if found and os.path.isfile(found):
        return str(found)
    for name in _BROWSER_NAMES:
        if path := shutil.which(name):
            return path
    return None


def figure_bytes(fig: go.Figure, *, fmt: Format, width_mm: float = 170, dpi: int = 300,
                 height_mm: float | None = None) -> bytes:
    """The figure as a PNG, SVG or PDF file's bytes, sized for print.

    Raises :class:`ExportUnavailable` when Chromium (which kaleido needs) is missing or fails
    to start, and ValueError for an unknown format.
    """
    if fmt not in FORMATS:
        raise ValueError(f"Charts export as {', '.join(FORMATS)}, not '{fmt}'.")
    try:
        import kaleido
    except ImportError as exc:
        raise ExportUnavailable("Chart export needs the Python package kaleido (pip install kaleido).") from exc
    if browser_path() is None:
        raise ExportUnavailable(f"Chart export needs the Chromium browser, which was not found. {_INSTALL_HINT}")

    width, height, scale = export_size(fig, width_mm=width_mm, dpi=dpi, height_mm=height_mm)
    ready = print_ready(fig)
    with _lock:
        _drop_dead_server(kaleido)
        try:
            image = _render(ready, fmt=fmt, width=width, height=height, scale=scale if fmt == "png" else 1)
        except ExportUnavailable:
            raise
        except Exception as exc:
            if _looks_like_browser_failure(exc):
                raise ExportUnavailable(f"Chromium could not render the chart ({exc}). {_INSTALL_HINT}") from exc
            raise
        _start_server(kaleido)
    return image


def _render(fig: go.Figure, *, fmt: str, width: int, height: int, scale: float) -> bytes:
    with warnings.catch_warnings():
        # plotly always passes its default request headers, which the shared server ignores.
        warnings.filterwarnings("ignore", message="The kopts argument is ignored", category=UserWarning)
        return fig.to_image(format=fmt, width=width, height=height, scale=scale)


def _start_server(kaleido_module: object) -> None:
    """Start kaleido's shared server once a render has shown the browser works."""
    global _server_ready
    if _server_ready:
        return
    start = getattr(kaleido_module, "start_sync_server", None)
    if start is not None:
        start(silence_warnings=True)  # harmless if someone else started it already
    _server_ready = True


def _drop_dead_server(kaleido_module: object) -> None:
    """If the shared server's thread has died (its browser crashed), close it so the next
    render falls back to a one-off browser instead of waiting for ever."""
    global _server_ready
    server = getattr(kaleido_module, "_global_server", None)
    thread = getattr(server, "_thread", None)
    if server is not None and thread is not None and server.is_running() and not thread.is_alive():
        server.close(silence_warnings=True)
        _server_ready = False


def _looks_like_browser_failure(exc: BaseException) -> bool:
    names = {type(e).__name__ for e in (exc, exc.__cause__, exc.__context__) if e is not None}
    if names & {"ChromeNotFoundError", "BrowserFailedError", "BrowserClosedError"}:
        return True
    text = str(exc).lower()
    return "chrome" in text or "browser" in text
