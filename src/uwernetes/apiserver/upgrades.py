"""uvicorn's httptools protocol, taught one more upgrade than WebSocket: `Upgrade: SPDY/3.1`.

ASGI has no way to take over a connection, so kubectl's SPDY requests (port-forward) are caught
here, before they reach the app: the parsed request and the connection's transport go to the
app's `spdy_handler(scope, transport)`, which answers or switches the connection to SPDY.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def _spdy(upgrade: bytes | None) -> bool:
    return upgrade is not None and upgrade.startswith(b"spdy/")


class UpgradingHttpToolsProtocol(HttpToolsProtocol):
    def _should_upgrade(self) -> bool:
        return _spdy(self._get_upgrade()) or super()._should_upgrade()

    def handle_websocket_upgrade(self) -> None:
        if not _spdy(self._get_upgrade()):
            super().handle_websocket_upgrade()
            return
        handler = _spdy_handler(self.app)
        if handler is None:
            self.send_400_response("Unsupported upgrade request.")
            return
        self.connections.discard(self)
        parsed = httptools.parse_url(self.url)
        scope = {**self.scope, "path": urllib.parse.unquote(parsed.path.decode("ascii")),
                 "query_string": parsed.query or b""}
        task = self.loop.create_task(handler(scope, self.transport))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


def _spdy_handler(app: Any) -> Any:
    # The loaded app may be wrapped in uvicorn's middlewares, each keeping the next as `.app`.
    while app is not None:
        handler = getattr(app, "spdy_handler", None)
        if handler is not None:
            return handler
        app = getattr(app, "app", None)
    return None
