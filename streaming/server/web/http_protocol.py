"""uvicorn's h11 protocol with a deadline for the request head (uvicorn has none of its own).

A client that opens a connection and sends nothing, or sends its request line and headers a byte at
a time (slowloris), would hold the connection for ever: uvicorn's keep-alive timer runs only between
requests and stops at the first byte. Here a connection whose request head is not complete within
``seconds`` of its first byte (or of connecting) is closed. Built on uvicorn's pinned ``H11Protocol``
(its ``conn``, ``transport`` and ``data_received``); the tests serve through it.
"""

from __future__ import annotations

import asyncio
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

logger = logging.getLogger(__name__)


def h11_with_header_timeout(seconds: float) -> type[H11Protocol]:
    """An ``H11Protocol`` class (uvicorn's ``http=``) that closes a connection whose request head
    takes longer than ``seconds``. Raises ValueError when ``seconds`` is not positive."""
    if seconds <= 0:
        raise ValueError(f"the header timeout must be > 0 s (got {seconds})")

    class HeaderTimeoutProtocol(H11Protocol):
        _head_deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)  # type: ignore[arg-type]
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                if self._head_deadline is None:
                    self._arm()  # a request head has begun and is not complete
            else:
                self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._head_deadline = asyncio.get_running_loop().call_later(seconds, self._head_overdue)

        def _disarm(self) -> None:
            if self._head_deadline is not None:
                self._head_deadline.cancel()
                self._head_deadline = None

        def _head_overdue(self) -> None:
            self._head_deadline = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                logger.info("closing a connection whose request head took over %.1f s", seconds)
                self.transport.close()

    return HeaderTimeoutProtocol
