"""In-process uvicorn servers for tests, without uvicorn's signal handlers.

uvicorn (0.29 and later) installs its SIGINT/SIGTERM handlers in ``Server.capture_signals`` for as long
as ``serve`` runs on the main thread, whatever ``install_signal_handlers`` says, and puts back the
handlers it found when it stops. A test's server spans several event-loop runs (a fixture's set-up,
the test, the teardown), so it would take SIGTERM meant for the pytest worker, and put back an
``asyncio.Runner``'s SIGINT handler after that runner had finished: the worker kept pytest-asyncio's
handler (and the fixture's task it refers to) for the rest of its life."""

from __future__ import annotations

import contextlib

import uvicorn


def without_signal_handlers(server: uvicorn.Server) -> uvicorn.Server:
    """``server`` made to leave the process's signal handlers alone (the test owns the process)."""
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    return server
