"""A live server on an event loop of its own, in a thread: a module-scoped fixture can share it with
tests that each run on their own event loop (a server on a module-scoped loop would only run while
that loop runs, and the module loop is what this replaces: see ``serve_in_thread``)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator, Sequence

from streaming.settings import StreamingSettings

from .conftest import LiveServer, serve


@contextlib.contextmanager
def serve_in_thread(
    settings: StreamingSettings, also_on: Sequence[str] = (), *, start_seconds: float = 30.0
) -> Iterator[LiveServer]:
    """``serve(settings, also_on)`` running in a thread on its own event loop until the block ends.

    Only the server's URL is for the caller: its ``LiveService`` belongs to the server's loop."""
    started = threading.Event()
    served: list[LiveServer] = []
    failed: list[BaseException] = []
    loop_and_stop: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    async def run() -> None:
        stop = asyncio.Event()
        loop_and_stop.append((asyncio.get_running_loop(), stop))
        async with serve(settings, also_on) as server:
            served.append(server)
            started.set()
            await stop.wait()

    def main() -> None:
        try:
            asyncio.run(run())
        except BaseException as exc:  # handed to the test thread
            failed.append(exc)
        finally:
            started.set()

    thread = threading.Thread(target=main, name="live-server", daemon=True)
    thread.start()
    try:
        assert started.wait(start_seconds), "the live server did not start"
        if failed:
            raise failed[0]
        yield served[0]
    finally:
        if loop_and_stop:
            loop, stop = loop_and_stop[0]
            with contextlib.suppress(RuntimeError):  # the loop has already ended
                loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)
        assert not thread.is_alive(), "the live server did not stop"
    if failed:
        raise failed[0]
