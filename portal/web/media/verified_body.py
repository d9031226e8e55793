"""A response body streamed from a :class:`archive.store.verified_stream.VerifiedStream`: each chunk read
in a worker thread (memory per request is a couple of chunks, not the object), the GET closed however
the response ends.

:func:`first_chunk` reads the first chunk before the response starts: an object that fits in one
chunk (most segments) is then wholly checked before any header is sent, so a mismatch can still be
answered with an error page; a larger one is cut short of its Content-Length instead (the stream
holds its last chunk back until the whole object matched)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator

from archive import ArchiveError, ChecksumMismatchError
from archive.store.verified_stream import VerifiedStream

logger = logging.getLogger(__name__)


async def first_chunk(stream: VerifiedStream) -> tuple[Iterator[bytes], bytes | None]:
    """``stream``'s chunk iterator and its first chunk (None: an empty object), read in a worker
    thread. Raises ChecksumMismatchError (the object fits in one chunk and does not match) and the
    store's errors; the GET is then closed."""
    chunks = stream.chunks()
    try:
        return chunks, await asyncio.to_thread(next, chunks, None)
    except BaseException:
        stream.close()
        raise


async def relayed(
    stream: VerifiedStream, chunks: Iterator[bytes], first: bytes | None
) -> AsyncIterator[bytes]:
    """``first``, then the rest of ``chunks``, each read in a worker thread; the GET is closed however
    this ends (a mismatch or a store failure midway is logged and ends the body short)."""
    try:
        if first is None:
            return
        yield first
        while (chunk := await asyncio.to_thread(next, chunks, None)) is not None:
            yield chunk
    except ChecksumMismatchError:
        logger.error("relay of %s cut short: its bytes do not match their SHA-256", stream.key)
        raise
    except ArchiveError as exc:
        logger.error("relay of %s cut short: the store failed midway: %s", stream.key, exc)
        raise
    finally:
        stream.close()  # no waiting: it closes a socket, and must run even when the client went away
