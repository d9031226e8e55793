"""The request-head deadline: a connection that sends nothing, or its headers too slowly, is closed;
a prompt request is answered as usual. uvicorn serves through the protocol on loopback."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from streaming.server.web.http_protocol import h11_with_header_timeout
from tests.uvicorn_signals import without_signal_handlers

HEAD_SECONDS = 0.5


async def _hello(_request: object) -> PlainTextResponse:
    return PlainTextResponse("hello")


@pytest.fixture
async def port() -> AsyncIterator[int]:
    app = Starlette(routes=[Route("/", _hello)])
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", http=h11_with_header_timeout(HEAD_SECONDS)
    )
    server = uvicorn.Server(config)
    without_signal_handlers(server)
    task = asyncio.ensure_future(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    yield server.servers[0].sockets[0].getsockname()[1]
    server.should_exit = True
    await task


def _closed_after(port: int, head: bytes, drip: bool) -> float:
    """Seconds until the server closes a connection that sends ``head`` (a byte every 0.1 s when
    ``drip``) and never finishes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        started = time.monotonic()
        for index in range(len(head)):
            if drip:
                time.sleep(0.1)
            try:
                sock.sendall(head[index : index + 1])
            except (BrokenPipeError, ConnectionResetError):
                return time.monotonic() - started
        assert sock.recv(1024) == b""
        return time.monotonic() - started


async def test_a_connection_without_a_complete_head_is_closed(port: int) -> None:
    silent = await asyncio.to_thread(_closed_after, port, b"", False)
    assert HEAD_SECONDS * 0.8 <= silent < HEAD_SECONDS + 2
    dripped = await asyncio.to_thread(
        _closed_after, port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"y" * 100, True
    )
    assert dripped < HEAD_SECONDS + 2


async def test_a_prompt_request_is_answered_and_kept_alive(port: int) -> None:
    def two_requests() -> list[bytes]:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            answers = []
            for _ in range(2):
                sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                data = b""
                while not data.endswith(b"hello"):
                    data += sock.recv(1024)
                answers.append(data)
                time.sleep(HEAD_SECONDS * 1.5)  # idle between requests: the keep-alive timer's business
            return answers

    answers = await asyncio.to_thread(two_requests)
    assert all(answer.startswith(b"HTTP/1.1 200") for answer in answers)
