"""Appending to a recording's journal: hash-chained, fsynced, checkpointed and cut into chunks.

Layout: ``<recording>/journal/000001.jsonl``, ``000002.jsonl``, … A chunk is closed by a signed
checkpoint line; a closed chunk never changes again and is what gets uploaded. After a crash the
writer reopens the open chunk, cuts a torn last line (keeping its bytes in ``journal/torn-*.bin``
and writing a ``repair`` event) and carries on with the same chain.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Self

from archive.errors import JournalError
from archive.formats.durable_io import append_durably, write_file_durably
from archive.formats.hashing import sha256_bytes
from archive.journal.chain import read_chain
from archive.journal.events import JournalEvent, line_fields, parse_event
from archive.journal.format import (
    GENESIS_PREV,
    JournalLine,
    checkpoint_message,
    encode_line,
    utc_now_iso,
)
from archive.journal.incident_events import RepairEvent
from archive.journal.segment_events import CheckpointEvent, InitEvent, SegmentEvent
from archive.journal.signing.device_key import DeviceKey
from archive.journal.signing.merkle import merkle_root

CHUNK_SUFFIX = ".jsonl"


def chunk_name(number: int) -> str:
    """The file name of journal chunk ``number`` (1-based)."""
    return f"{number:06d}{CHUNK_SUFFIX}"


def list_chunks(journal_dir: Path) -> list[Path]:
    """The journal's chunk files in order."""
    return sorted(p for p in journal_dir.glob(f"*{CHUNK_SUFFIX}") if p.stem.isdigit())


@dataclass(slots=True)
class _ChainState:
    next_seq: int = 0
    prev: str = GENESIS_PREV
    leaves: list[bytes] = field(default_factory=list)
    chunk_number: int = 1
    chunk_has_lines: bool = False


class JournalWriter:
    """The single writer of one recording's journal (guarded by an exclusive file lock).

    Thread-safe: pipelines of several streams append from their own threads.
    """

    def __init__(
        self,
        journal_dir: Path,
        recording_id: str,
        key: DeviceKey,
        *,
        on_chunk_closed: Callable[[Path], None] | None = None,
    ) -> None:
        self._dir = journal_dir
        self._recording_id = recording_id
        self._key = key
        self._on_chunk_closed = on_chunk_closed
        self._lock = threading.Lock()
        self._state = _ChainState()
        self._history: list[JournalLine] = []
        self._lock_file: int | None = None

    @classmethod
    def open(
        cls,
        journal_dir: Path,
        recording_id: str,
        key: DeviceKey,
        *,
        on_chunk_closed: Callable[[Path], None] | None = None,
    ) -> Self:
        """Open (creating or recovering) the journal in ``journal_dir``.

        Raises JournalError when another process holds the journal, or when the chunks already on
        disk do not form an intact chain (nothing is rewritten then: that is for a person to look at).
        """
        writer = cls(journal_dir, recording_id, key, on_chunk_closed=on_chunk_closed)
        journal_dir.mkdir(parents=True, exist_ok=True)
        writer._acquire_lock()
        try:
            writer._recover()
        except BaseException:
            writer.close()
            raise
        return writer

    @property
    def history(self) -> list[JournalLine]:
        """Every line of the journal so far (recovered and appended), in order."""
        with self._lock:
            return list(self._history)

    def append(self, event: JournalEvent, *, at: datetime | None = None) -> JournalLine:
        """Append ``event`` and fsync it; ``at`` (timezone-aware) is when it happened, now when None.

        Returns the line written. Raises JournalError when the line cannot be written.
        """
        with self._lock:
            return self._append_locked(event, None if at is None else at.isoformat())

    def checkpoint(self) -> Path | None:
        """Write a signed checkpoint and close the current chunk; return the closed chunk's path,
        or None when the chunk had nothing since the last checkpoint."""
        with self._lock:
            if not self._state.chunk_has_lines:
                return None
            return self._checkpoint_locked()

    def close(self) -> None:
        """Release the journal's lock. Does not write anything."""
        if self._lock_file is not None:
            os.close(self._lock_file)
            self._lock_file = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _acquire_lock(self) -> None:
        descriptor = os.open(self._dir / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(descriptor)
            raise JournalError(f"journal {self._dir} is in use by another process") from exc
        self._lock_file = descriptor

    def _recover(self) -> None:
        chunks = list_chunks(self._dir)
        torn: tuple[Path, bytes] | None = None
        if chunks:
            last = chunks[-1]
            data = last.read_bytes()
            cut = data.rfind(b"\n") + 1
            if cut < len(data):
                torn = (last, data[cut:])
        report = read_chain(((p.name, p.read_bytes()) for p in chunks), allow_torn_tail=True)
        if not report.intact:
            raise JournalError(f"journal {self._dir} is damaged: " + "; ".join(report.problems))
        self._history = list(report.lines)
        events = [parse_event(line) for line in report.lines]
        for event in events:
            if isinstance(event, InitEvent | SegmentEvent):
                self._state.leaves.append(bytes.fromhex(event.sha256))
        if report.lines:
            self._state.next_seq = report.lines[-1].seq + 1
            self._state.prev = report.lines[-1].digest
        if chunks:
            last_closed = bool(events) and isinstance(events[-1], CheckpointEvent)
            number = int(chunks[-1].stem)
            self._state.chunk_number = number + 1 if last_closed and torn is None else number
            self._state.chunk_has_lines = not last_closed or torn is not None
        if torn is not None:
            self._cut_torn_tail(*torn)

    def _cut_torn_tail(self, chunk: Path, tail: bytes) -> None:
        keep = chunk.with_name(f"torn-{chunk.stem}-{self._state.next_seq:08d}.bin")
        if not keep.exists():
            write_file_durably(keep, tail)
        with chunk.open("r+b") as handle:
            handle.truncate(chunk.stat().st_size - len(tail))
            os.fsync(handle.fileno())
        self._append_locked(
            RepairEvent(
                reason="torn journal line cut after a crash",
                torn_bytes=len(tail),
                torn_sha256=sha256_bytes(tail),
                kept_as=keep.name,
            ),
            None,
        )

    def _append_locked(self, event: JournalEvent, at: str | None) -> JournalLine:
        fields = line_fields(
            event,
            seq=self._state.next_seq,
            prev=self._state.prev,
            at=utc_now_iso() if at is None else at,
            recording_id=self._recording_id,
        )
        raw = encode_line(fields)
        if b"\n" in raw:
            raise JournalError("a journal line must not contain a newline")
        append_durably(self._dir / chunk_name(self._state.chunk_number), raw + b"\n")
        line = JournalLine(raw=raw, fields=fields)
        self._state.next_seq += 1
        self._state.prev = line.digest
        self._state.chunk_has_lines = True
        if isinstance(event, InitEvent | SegmentEvent):
            self._state.leaves.append(bytes.fromhex(event.sha256))
        self._history.append(line)
        return line

    def _checkpoint_locked(self) -> Path:
        root = merkle_root(self._state.leaves).hex()
        size = len(self._state.leaves)
        message = checkpoint_message(
            recording_id=self._recording_id, tree_size=size, root_hex=root, prev=self._state.prev
        )
        self._append_locked(
            CheckpointEvent(
                tree_size=size,
                root=root,
                public_key=self._key.public_key_b64,
                signature=self._key.sign(message),
            ),
            None,
        )
        closed = self._dir / chunk_name(self._state.chunk_number)
        self._state.chunk_number += 1
        self._state.chunk_has_lines = False
        if self._on_chunk_closed is not None:
            self._on_chunk_closed(closed)
        return closed
