"""One stored object read chunk by chunk and checked against its ``sha256`` metadata on the way.

For relaying an object to a client without holding it in memory: the bytes are hashed as they pass,
and the last chunk is held back until the whole object has been hashed, so a copy whose hash does not
match never reaches the client complete (the caller's response ends short and the client sees a
broken transfer, never a wrong object that looks whole).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from archive.store.stored_object import SHA256_METADATA_KEY, user_metadata, verify_digest

CHUNK_BYTES = 256 * 1024


class VerifiedStream:
    """An open GET of ``key``: its size, then its chunks (see the module docstring); close when done.

    The bytes are checked against ``expected_sha256`` when given (e.g. a manifest's, kept apart from
    the object), else against the object's ``sha256`` metadata (``stored_sha256``)."""

    def __init__(
        self,
        key: str,
        response: Any,
        boundary: Callable[[], AbstractContextManager[None]],
        expected_sha256: str | None = None,
    ) -> None:
        self.key = key
        self._response = response
        self._boundary = boundary
        self.stored_sha256: str | None = user_metadata(response.headers).get(SHA256_METADATA_KEY)
        self._expected = expected_sha256 if expected_sha256 is not None else self.stored_sha256
        self._expected_from = "its metadata" if expected_sha256 is None else "the record read against"
        length = response.headers.get("Content-Length")
        self.size: int | None = int(length) if length is not None and length.isdigit() else None
        self._closed = threading.Lock()

    def chunks(self, chunk_size: int = CHUNK_BYTES) -> Iterator[bytes]:
        """Yield the object's bytes; ChecksumMismatchError instead of its last chunk when the bytes read
        do not match the expected SHA-256. Closes the GET when exhausted or abandoned.

        Raises StoreUnavailableError / StoreAuthError when the store fails midway.
        """
        digest = hashlib.sha256()
        held: bytes | None = None
        try:
            with self._boundary():
                for chunk in self._response.stream(chunk_size):
                    digest.update(chunk)
                    if held is not None:
                        yield held
                    held = chunk
            verify_digest(self.key, digest.hexdigest(), self._expected, expected_from=self._expected_from)
            if held is not None:
                yield held
        finally:
            self.close()

    def close(self) -> None:
        """Close the GET and give its connection back to the pool (idempotent, any thread)."""
        if self._closed.acquire(blocking=False):
            self._response.close()
            self._response.release_conn()
