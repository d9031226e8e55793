"""The console's web server: uvicorn in its own thread of the ``capture serve`` process (its own event
loop, apart from the recorder's threads)."""

from __future__ import annotations

import logging
import threading
import time

import uvicorn
from starlette.types import ASGIApp

from capture.errors import CaptureError

logger = logging.getLogger(__name__)
START_SECONDS = 15.0


class ConsoleServer:
    """Serves ``app`` on ``host:port`` from :meth:`start` until :meth:`stop`."""

    def __init__(self, app: ASGIApp, host: str, port: int) -> None:
        config = uvicorn.Config(
            app, host=host, port=port, log_level="warning", access_log=False, lifespan="off"
        )
        config.server_header = False
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name="clerk-console", daemon=True)
        self._where = f"{host}:{port}"

    def _serve(self) -> None:
        try:
            self._server.run()
        except SystemExit:  # uvicorn exits when it cannot bind: start() says so
            logger.error("the clerk's console could not listen on %s", self._where)

    def start(self) -> None:
        """Listen; raises CaptureError when the address cannot be bound (e.g. the port is taken)."""
        self._thread.start()
        deadline = time.monotonic() + START_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise CaptureError(f"the clerk's console cannot listen on {self._where} (port taken?)")
            time.sleep(0.05)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
