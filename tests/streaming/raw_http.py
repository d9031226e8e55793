"""Oversized requests over a raw socket, to see what a server answers before (or while) a body is
sent, and how much the sender managed to send; plus this process's resident memory."""

from __future__ import annotations

import contextlib
import select
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

CHUNK = b"x" * (64 * 1024)  # one buffer, sent again and again: the sender holds no big body


@dataclass(frozen=True)
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes
    sent: int  # body bytes the sender got onto the wire before the answer (or the close)


def post_oversized(
    url: str,
    path: str,
    size: int,
    *,
    chunked: bool,
    send_body: bool = True,
    headers: dict[str, str] | None = None,
) -> RawAnswer:
    """POST ``size`` body bytes to ``path``: with ``Content-Length: size`` (and, unless ``send_body``
    is False, the body) or chunked. Stops sending as soon as an answer is readable or the server
    closes, then reads the answer. Blocks: from a test on the server's event loop, run it in a thread."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        fields = {"Content-Type": "application/json", **(headers or {})}
        head = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}"]
        head += [f"{name}: {value}" for name, value in fields.items()]
        head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}")
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        sent = 0
        while send_body and sent < size and not select.select([sock], [], [], 0)[0]:
            piece = CHUNK[: min(len(CHUNK), size - sent)]
            frame = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
            try:
                sock.sendall(frame)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
        if chunked and sent == size:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                sock.sendall(b"0\r\n\r\n")  # the last chunk: the body is complete
        return RawAnswer(*_read_answer(sock), sent=sent)


def _read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    try:
        while b"\r\n\r\n" not in data or not _complete(data):
            piece = sock.recv(65536)
            if not piece:
                break
            data += piece
    except ConnectionResetError:
        pass  # the server closed with our unread body in its buffer; what came before it counts
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines[0] else 0
    fields = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return status, {k.lower(): v for k, v in fields.items()}, body


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            return len(body) >= int(value)
    return False


def resident_bytes() -> int:
    """This process's resident set size now (Linux ``/proc``)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")
