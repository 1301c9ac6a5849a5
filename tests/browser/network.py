"""Every request the browser makes, recorded, so that a browser test can say none left this machine.

Listening for failed requests alone would miss the one that matters: a fetch from the internet that
succeeds. So this records them all, before any answer, and names those not meant for the loopback.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

# Addresses that never reach the network: inline data, in-memory files and the blank page.
STAYS_IN_THE_BROWSER = ("data", "blob", "about")


def leaves_this_machine(url: str) -> bool:
    """True unless the address is handled in the browser or names the loopback (127.0.0.0/8, ::1, localhost)."""
    parts = urlsplit(url)
    if parts.scheme in STAYS_IN_THE_BROWSER:
        return False
    host = parts.hostname or ""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:  # any other name, or none at all (a file: address)
        return True


class Traffic:
    """The address of every request and WebSocket that the pages of one browser context open.

    Make it before the context's first page: a page's WebSockets are heard from the page's creation.
    Requests made by a page while it shows another service (addresses starting with one of
    `other_services`, such as the identity provider's sign-in form) are that service's, not ours.
    """

    def __init__(self, context, *, other_services: tuple[str, ...] = ()) -> None:  # noqa: ANN001
        self.urls: list[str] = []
        self._other_services = other_services
        context.on("request", self._heard)
        context.on("page", lambda page: page.on("websocket", lambda socket: self.urls.append(socket.url)))

    def _heard(self, request) -> None:  # noqa: ANN001 (a playwright Request)
        try:
            shown = request.frame.url
        except Exception:  # a service worker's request has no page: count it
            shown = ""
        if not shown.startswith(self._other_services):
            self.urls.append(request.url)

    def outside(self) -> list[str]:
        return [url for url in self.urls if leaves_this_machine(url)]
