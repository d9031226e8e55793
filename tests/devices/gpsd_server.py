"""A tiny gpsd for tests: it speaks the daemon's JSON protocol over TCP on a free loopback port."""

from __future__ import annotations

import socket
import threading


class GpsdServer:
    """A tiny gpsd: greets with VERSION, waits for ?WATCH, then sends the given lines."""

    def __init__(self, lines: list[bytes], port: int = 0) -> None:
        self._listener = socket.create_server(("127.0.0.1", port))
        self.port = self._listener.getsockname()[1]
        self._lines = lines
        self.watch: bytes = b""
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        connection, _ = self._listener.accept()
        with connection:
            connection.sendall(b'{"class":"VERSION","release":"3.22","proto_major":3,"proto_minor":14}\n')
            while not self.watch.endswith(b"\n"):
                self.watch += connection.recv(1024)
            connection.sendall(b'{"class":"DEVICES","devices":[{"path":"/dev/ttyUSB0"}]}\n')
            for line in self._lines:
                connection.sendall(line)
            connection.recv(1)  # hold until the client goes

    def close(self) -> None:
        self._listener.close()
