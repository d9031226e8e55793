"""Deciding which copy of a journal chunk to trust, chunk by chunk, when sites disagree.

Backup, audit, restore and export take every expected SHA-256 from the journal, so the journal itself
must first be proven: a chunk is accepted only when its lines continue the hash chain (``seq`` and
``prev``) from the chunks accepted before it, belong to the recording, and it ends with a checkpoint
whose Merkle root matches every sealed object so far and whose Ed25519 signature verifies with the
device key announced in the first start line. The writer closes every chunk with such a checkpoint
(:mod:`archive.journal.writer`), so an uploaded chunk that does not end with one is not trusted.

A corrupted chunk breaks the chain at the chunk after it (or, for the last chunk, its signature), so
the first copy that passes is the one that was written; a copy that passes on any site is as good as
any other that passes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from archive.errors import JournalError
from archive.journal.events import JournalEvent, parse_event
from archive.journal.format import GENESIS_PREV, JournalLine, checkpoint_message, parse_line, split_lines
from archive.journal.run_events import StartEvent
from archive.journal.segment_events import CheckpointEvent, InitEvent, SegmentEvent
from archive.journal.signing.device_key import verify_signature
from archive.journal.signing.merkle import merkle_root


@dataclass(frozen=True, slots=True)
class ChainState:
    """Where the trusted chain stands after the chunks accepted so far."""

    recording_id: str
    next_seq: int = 0
    prev: str = GENESIS_PREV
    leaves: tuple[bytes, ...] = ()
    public_key: str | None = None
    lines: tuple[JournalLine, ...] = field(default=(), repr=False)
    events: tuple[JournalEvent, ...] = field(default=(), repr=False)

    def advance(self, name: str, data: bytes) -> ChainState:
        """The state after accepting chunk ``name`` with bytes ``data``.

        Raises JournalError naming the chunk (and line) when the chunk does not continue this chain.
        """
        complete, tail = split_lines(data)
        if tail:
            raise JournalError(f"{name}: {len(tail)} bytes after the last complete line")
        if not complete:
            raise JournalError(f"{name}: empty journal chunk")
        walk = _Walk(self)
        for number, raw in enumerate(complete, start=1):
            where = f"{name} line {number}"
            walk.take(parse_line(raw, where=where), where)
        if not isinstance(walk.events[-1], CheckpointEvent):
            raise JournalError(f"{name}: does not end with a signed checkpoint")
        return replace(
            self,
            next_seq=walk.next_seq,
            prev=walk.prev,
            leaves=(*self.leaves, *walk.leaves),
            public_key=walk.public_key,
            lines=(*self.lines, *walk.lines),
            events=(*self.events, *walk.events),
        )

    @property
    def root(self) -> str:
        """Hex Merkle root over every sealed object accepted so far."""
        return merkle_root(list(self.leaves)).hex()


class _Walk:
    """Mutable cursor over one chunk's lines, starting from an accepted state."""

    def __init__(self, start: ChainState) -> None:
        self.recording_id = start.recording_id
        self.next_seq = start.next_seq
        self.prev = start.prev
        self.public_key = start.public_key
        self.all_leaves = list(start.leaves)
        self.leaves: list[bytes] = []
        self.lines: list[JournalLine] = []
        self.events: list[JournalEvent] = []

    def take(self, line: JournalLine, where: str) -> None:
        if line.seq != self.next_seq:
            raise JournalError(f"{where}: seq {line.seq} where {self.next_seq} was expected")
        if line.prev != self.prev:
            raise JournalError(f"{where}: hash chain broken (prev does not match the line before)")
        if line.recording_id not in (None, self.recording_id):
            raise JournalError(f"{where}: belongs to recording {line.recording_id!r}")
        try:
            event = parse_event(line)
        except JournalError as exc:
            raise JournalError(f"{where}: {exc}") from exc
        if isinstance(event, StartEvent):
            self._take_key(event, where)
        elif isinstance(event, InitEvent | SegmentEvent):
            self.leaves.append(bytes.fromhex(event.sha256))
            self.all_leaves.append(bytes.fromhex(event.sha256))
        elif isinstance(event, CheckpointEvent):
            self._check_checkpoint(line, event, where)
        self.lines.append(line)
        self.events.append(event)
        self.next_seq = line.seq + 1
        self.prev = line.digest

    def _take_key(self, start: StartEvent, where: str) -> None:
        if self.public_key is not None and start.public_key != self.public_key:
            raise JournalError(f"{where}: device key changed within the recording")
        self.public_key = start.public_key

    def _check_checkpoint(self, line: JournalLine, checkpoint: CheckpointEvent, where: str) -> None:
        root = merkle_root(self.all_leaves).hex()
        if checkpoint.tree_size != len(self.all_leaves) or checkpoint.root != root:
            raise JournalError(f"{where}: checkpoint Merkle root does not match the sealed objects")
        message = checkpoint_message(
            recording_id=self.recording_id, tree_size=len(self.all_leaves), root_hex=root, prev=line.prev
        )
        if self.public_key is None or not verify_signature(self.public_key, message, checkpoint.signature):
            raise JournalError(f"{where}: checkpoint signature is not valid")
