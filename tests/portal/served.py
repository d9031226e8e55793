"""A portal app served by uvicorn on loopback from a thread with its own event loop (one loop for the
app, its lifespan and the mounted live service, as in production), and browsers for it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import uvicorn
from fastapi import FastAPI

T = TypeVar("T")


class ServedApp:
    """``app`` on ``host:<free port>`` (127.0.0.1 unless told); :meth:`call` runs a coroutine on the
    server's loop."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1") -> None:
        config = uvicorn.Config(app, host=host, port=0, log_level="warning", lifespan="on")
        self._host = host
        self.server = uvicorn.Server(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name="served-portal", daemon=True)
        self.url = ""

    def __enter__(self) -> ServedApp:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the portal did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://{self._host}:{port}"
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=60)

    def call(self, make: Callable[[], Awaitable[T]], timeout: float = 30) -> T:
        """Await ``make()`` on the server's event loop and return its result."""
        assert self._loop is not None

        async def run() -> T:
            return await make()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout)

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self.server.serve()


class Visitor:
    """One browser (its own cookies) on a served portal; signed in or not."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, follow_redirects=False, timeout=30)
        self.csrf = ""

    def sign_in(self, kind: str, identifier: str, password: str) -> Visitor:
        response = self.http.post(
            f"/api/session/{kind}", json={"identifier": identifier, "password": password}
        )
        assert response.status_code == 200, response.text
        self.csrf = response.json()["csrf_token"]
        return self

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(url, **kwargs)

    def post(self, url: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        headers = {"X-CSRF-Token": self.csrf, **kwargs.pop("headers", {})}
        return self.http.post(url, json=json, headers=headers, **kwargs)

    def close(self) -> None:
        self.http.close()
