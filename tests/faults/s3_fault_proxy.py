"""An asyncio HTTP/1.1 fault proxy to put in front of a real S3 server (the SeaweedFS test store).

It forwards one request at a time per connection (keep-alive works), so it can decide per request
which fault to inject: drop the connection in the middle of the body, stall, reset, pass it on slowly,
refuse everything (full outage) or flip bytes in a PUT body (the server then rejects the checksum).
Rules are matched in order by method and a regular expression on the path; each may have a limited
count. Every answered request is logged with its time (monotonic), so tests can check the order in
which objects were stored.

It runs its event loop in a thread of its own, so synchronous tests (and the uploader's threads)
use it like any server: ``with S3FaultProxy(upstream_port) as proxy: ... proxy.endpoint``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Self
from urllib.parse import unquote, urlsplit


class Fault(StrEnum):
    """What to do to a matching request."""

    DROP_MID_BODY = "drop_mid_body"  # forward half the body, then close both sides
    STALL = "stall"  # hold the request for ``stall_seconds``, then close
    RESET = "reset"  # answer with a TCP reset before forwarding anything
    SLOW = "slow"  # forward the request at ``bytes_per_second``
    OUTAGE = "outage"  # reset every connection at once (nothing reaches the server)
    CORRUPT = "corrupt"  # flip a byte in the body of a PUT (the server sees other bytes)


@dataclass(slots=True)
class FaultRule:
    """Inject ``fault`` into requests whose method is in ``methods`` (all when empty) and whose
    path matches ``path``; at most ``count`` times (None: until removed)."""

    fault: Fault
    methods: frozenset[str] = frozenset()
    path: str = ""
    count: int | None = None
    stall_seconds: float = 15.0
    bytes_per_second: int = 64_000
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.count is not None and self.hits >= self.count:
            return False
        if self.methods and method not in self.methods:
            return False
        return re.search(self.path, path) is not None


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request the proxy saw: when it was answered (monotonic), method, key, status (0: none,
    the proxy broke it), and the fault applied (if any)."""

    at: float
    method: str
    key: str
    status: int
    fault: Fault | None


@dataclass(slots=True)
class _Message:
    head: bytes
    first_line: str
    headers: dict[str, str] = field(default_factory=dict)


class S3FaultProxy:
    """Listens on 127.0.0.1 (a free port) and forwards to ``127.0.0.1:upstream_port``."""

    def __init__(self, upstream_port: int, *, upstream_host: str = "127.0.0.1") -> None:
        self._upstream = (upstream_host, upstream_port)
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self.exchanges: list[Exchange] = []
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="s3-fault-proxy", daemon=True)
        self.port = 0

    # -- control (any thread) ------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", 0), self._loop
        ).result(10)
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add(self, rule: FaultRule) -> FaultRule:
        """Add a rule (matched after the ones already there); returns it (``hits`` counts uses)."""
        with self._lock:
            self._rules.append(rule)
        return rule

    def remove(self, rule: FaultRule) -> None:
        """Remove ``rule`` (e.g. end an outage while the other rules stay)."""
        with self._lock:
            if rule in self._rules:
                self._rules.remove(rule)

    def heal(self) -> None:
        """Remove every rule: from now on requests pass untouched."""
        with self._lock:
            self._rules.clear()

    def stored_in_order(self) -> list[tuple[float, str]]:
        """(time, key) of every PUT the server answered 200, in the order answered."""
        with self._lock:
            return [(e.at, e.key) for e in self.exchanges if e.method == "PUT" and e.status == 200]

    # -- the proxy (event loop thread) ---------------------------------------------------------

    def _rule_for(self, method: str, path: str) -> FaultRule | None:
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path):
                    rule.hits += 1
                    return rule
        return None

    def _log(self, method: str, target: str, status: int, fault: Fault | None) -> None:
        key = unquote(urlsplit(target).path).lstrip("/").partition("/")[2]
        with self._lock:
            self.exchanges.append(Exchange(time.monotonic(), method, key, status, fault))

    async def _handle(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        upstream_out: asyncio.StreamWriter | None = None
        try:
            upstream_in, upstream_out = await asyncio.open_connection(*self._upstream)
            while True:
                request = await _read_head(client_in)
                if request is None:
                    return
                body = await _read_body(client_in, request, method=None)
                method, target = request.first_line.split(" ")[:2]
                rule = self._rule_for(method, urlsplit(target).path)
                fault = None if rule is None else rule.fault
                if rule is not None and not await self._inject(rule, request, body, upstream_out, client_out):
                    self._log(method, target, 0, fault)
                    return
                if fault is Fault.CORRUPT and body:
                    body = _flip_a_byte(body)
                if fault is not Fault.SLOW:
                    upstream_out.write(request.head + body)
                    await upstream_out.drain()
                response = await _read_head(upstream_in)
                if response is None:
                    return
                response_body = await _read_body(upstream_in, response, method=method)
                client_out.write(response.head + response_body)
                await client_out.drain()
                self._log(method, target, int(response.first_line.split(" ")[1]), fault)
                if response.headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            return
        except asyncio.CancelledError:  # stop(): end quietly (asyncio's server callback would log it)
            return
        finally:
            for writer in (client_out, upstream_out):
                if writer is not None:
                    with contextlib.suppress(Exception):
                        writer.close()

    async def _inject(
        self,
        rule: FaultRule,
        request: _Message,
        body: bytes,
        upstream: asyncio.StreamWriter,
        client: asyncio.StreamWriter,
    ) -> bool:
        """Apply ``rule``'s fault; False when the exchange is broken off (the caller stops)."""
        if rule.fault in (Fault.RESET, Fault.OUTAGE):
            _reset(client)
            return False
        if rule.fault is Fault.STALL:
            await asyncio.sleep(rule.stall_seconds)
            _reset(client)
            return False
        if rule.fault is Fault.DROP_MID_BODY:
            upstream.write(request.head + body[: len(body) // 2])
            await upstream.drain()
            _reset(client)
            return False
        if rule.fault is Fault.SLOW:
            data = request.head + body
            piece = max(1, rule.bytes_per_second // 20)
            for start in range(0, len(data), piece):
                upstream.write(data[start : start + piece])
                await upstream.drain()
                await asyncio.sleep(0.05)
        return True


async def _read_head(reader: asyncio.StreamReader) -> _Message | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise
        return None
    lines = head.decode("latin-1").split("\r\n")
    message = _Message(head=head, first_line=lines[0])
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            message.headers[name.strip().lower()] = value.strip()
    return message


async def _read_body(reader: asyncio.StreamReader, message: _Message, *, method: str | None) -> bytes:
    """The raw body bytes (chunked bodies kept chunked); ``method`` is the request's for a response."""
    if method == "HEAD":
        return b""
    if method is not None:
        status = int(message.first_line.split(" ")[1])
        if status in (204, 304) or 100 <= status < 200:
            return b""
    if "chunked" in message.headers.get("transfer-encoding", "").lower():
        raw = bytearray()
        while True:
            size_line = await reader.readuntil(b"\r\n")
            raw += size_line
            size = int(size_line.split(b";")[0].strip(), 16)
            raw += await reader.readexactly(size + 2)
            if size == 0:
                return bytes(raw)
    length = int(message.headers.get("content-length", "0"))
    return await reader.readexactly(length) if length else b""


def _flip_a_byte(body: bytes) -> bytes:
    middle = len(body) // 2
    return body[:middle] + bytes([body[middle] ^ 0xFF]) + body[middle + 1 :]


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (SO_LINGER 0), as a crashing middlebox would."""
    sock = writer.get_extra_info("socket")  # an asyncio TransportSocket: it has setsockopt
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.close()
