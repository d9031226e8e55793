"""A recording's checkpoint head, kept outside the recording so that the journal cannot be cut back.

A journal that is truncated to an earlier signed checkpoint (the last sessions' chunks and segments
deleted) is still a valid chain ending with a signed checkpoint: it proves nothing about what came
after. So the agent reports each checkpoint it writes (its :class:`CheckpointHead`) to the portal,
the backup keeps the heads it has copied, and ``archive verify`` requires the journal in the bucket to
contain the latest head it can get, byte for byte (``line_sha256``).

A head is self-authenticating: ``signature`` is the device's Ed25519 signature over the checkpoint
message (recording, tree size, Merkle root, ``prev``), so whoever stores heads cannot forge a later
one without the device key; at worst a forged head with a made-up ``seq`` makes a verification fail,
never pass. Heads files (``courtrec-anchors-v1``) are plain JSON lists of heads for offline use.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Self

from archive.errors import JournalError
from archive.journal.event_checks import check_sha256
from archive.journal.events import parse_event
from archive.journal.fields import FieldReader, JsonObject
from archive.journal.format import JournalLine, checkpoint_message, encode_line
from archive.journal.segment_events import CheckpointEvent
from archive.journal.signing.device_key import verify_signature

ANCHORS_FORMAT = "courtrec-anchors-v1"


@dataclass(frozen=True, slots=True)
class CheckpointHead:
    """One signed checkpoint of a recording: where it sits in the journal (``seq``, ``prev``), what it
    covers (``tree_size`` objects with Merkle ``root``), who signed it, the SHA-256 of its exact line,
    and ``at``: the wall-clock time (UTC, ISO 8601) the device wrote on it."""

    recording_id: str
    seq: int
    prev: str
    tree_size: int
    root: str
    public_key: str
    signature: str
    line_sha256: str
    at: str

    def __post_init__(self) -> None:
        if self.seq < 0 or self.tree_size < 0:
            raise ValueError(f"'seq' and 'tree_size' must be >= 0 (got {self.seq}, {self.tree_size})")
        check_sha256(self.root, "root")
        check_sha256(self.line_sha256, "line_sha256")
        if len(self.prev) != 64:
            raise ValueError(f"'prev' must be 64 hex digits (got {self.prev!r})")

    @classmethod
    def from_line(cls, line: JournalLine, recording_id: str) -> Self:
        """The head a checkpoint line records. Raises JournalError when the line is not a checkpoint."""
        event = parse_event(line)
        if not isinstance(event, CheckpointEvent):
            raise JournalError(f"journal seq {line.seq} is a {line.type} line, not a checkpoint")
        return cls(
            recording_id=recording_id,
            seq=line.seq,
            prev=line.prev,
            tree_size=event.tree_size,
            root=event.root,
            public_key=event.public_key,
            signature=event.signature,
            line_sha256=line.digest,
            at=line.at,
        )

    def signature_valid(self) -> bool:
        """True when ``signature`` is ``public_key``'s signature of this checkpoint."""
        message = checkpoint_message(
            recording_id=self.recording_id, tree_size=self.tree_size, root_hex=self.root, prev=self.prev
        )
        return verify_signature(self.public_key, message, self.signature)

    def describe(self) -> str:
        """``seq N (tree size M, written AT)``, for messages."""
        return f"seq {self.seq} (tree size {self.tree_size}, written {self.at})"

    def to_fields(self) -> JsonObject:
        return {
            "recording_id": self.recording_id,
            "seq": self.seq,
            "prev": self.prev,
            "tree_size": self.tree_size,
            "root": self.root,
            "public_key": self.public_key,
            "signature": self.signature,
            "line_sha256": self.line_sha256,
            "at": self.at,
        }

    @classmethod
    def from_fields(cls, fields: FieldReader) -> Self:
        """Raises JournalError naming the head and the field that is wrong."""
        try:
            return cls(
                recording_id=fields.string("recording_id"),
                seq=fields.integer("seq"),
                prev=fields.string("prev"),
                tree_size=fields.integer("tree_size"),
                root=fields.string("root"),
                public_key=fields.string("public_key"),
                signature=fields.string("signature"),
                line_sha256=fields.string("line_sha256"),
                at=fields.string("at"),
            )
        except ValueError as exc:
            raise fields.fail(str(exc)) from exc


def last_head(recording_id: str, lines: Sequence[JournalLine]) -> CheckpointHead | None:
    """The head of the last checkpoint among ``lines`` (None when there is none)."""
    for line in reversed(lines):
        if line.type == CheckpointEvent.TYPE:
            return CheckpointHead.from_line(line, recording_id)
    return None


def encode_heads(heads: Iterable[CheckpointHead], *, exported_at: str) -> bytes:
    """A heads file (``courtrec-anchors-v1``) holding ``heads``."""
    body: JsonObject = {
        "format": ANCHORS_FORMAT,
        "exported_at": exported_at,
        "heads": [head.to_fields() for head in heads],
    }
    return encode_line(body) + b"\n"


def decode_heads(data: bytes, *, where: str) -> list[CheckpointHead]:
    """The heads in a heads file. Raises JournalError naming ``where`` and what is wrong."""
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JournalError(f"{where}: not a JSON anchors file ({exc})") from exc
    if not isinstance(body, dict) or body.get("format") != ANCHORS_FORMAT:
        raise JournalError(f"{where}: not a {ANCHORS_FORMAT} file")
    reader = FieldReader(body, where)
    return [CheckpointHead.from_fields(item) for item in reader.objects("heads")]
