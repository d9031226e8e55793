"""The journal's line format: canonical JSON, one event per line, chained by SHA-256.

Every line carries ``v``, ``seq`` (0, 1, 2, … across all chunks of a recording), ``prev`` (the hex
SHA-256 of the previous line's exact bytes, without its newline; 64 zeros for the first line),
``type`` and ``at`` (UTC, ISO 8601). The chain makes an edited, deleted or reordered line detectable;
checkpoint lines add a signed Merkle root so that the chain's tail cannot be silently cut either.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from archive.errors import JournalError

FORMAT_VERSION = 1
GENESIS_PREV = "0" * 64
CHECKPOINT_DOMAIN = "courtrec-checkpoint-v1"


class EventType(StrEnum):
    """What a journal line records."""

    START = "start"
    STOP = "stop"
    PAUSE = "pause"
    RESUME = "resume"
    INIT = "init"
    SEGMENT = "segment"
    GAP = "gap"
    CLOCK_STEP = "clock_step"
    ALARM = "alarm"
    CHECKPOINT = "checkpoint"
    REPAIR = "repair"
    ORIGIN = "origin"
    ACTIVATE = "activate"
    DEACTIVATE = "deactivate"
    NOTE = "note"
    READINESS = "readiness"
    SEAL_BEGIN = "seal_begin"
    SEAL_END = "seal_end"


class SegmentFlag(StrEnum):
    """Flags on a sealed segment."""

    PARTIAL = "partial"  # salvaged prefix of a segment cut short by a crash
    RECOVERED = "recovered"  # sealed on disk before a crash but journaled only on restart
    PRE_EVENT = "pre_event"  # holds pictures a body camera buffered in memory before its activation


@dataclass(frozen=True, slots=True)
class JournalLine:
    """One parsed journal line and the exact bytes it was parsed from."""

    raw: bytes
    fields: Mapping[str, Any]

    @property
    def seq(self) -> int:
        return int(self.fields["seq"])

    @property
    def prev(self) -> str:
        return str(self.fields["prev"])

    @property
    def type(self) -> str:
        return str(self.fields["type"])

    @property
    def recording_id(self) -> str | None:
        """The recording the line says it belongs to (None on lines that do not say, e.g. the
        compliance log's)."""
        value = self.fields.get("recording_id")
        return None if value is None else str(value)

    @property
    def at(self) -> str:
        """When the line was written (UTC, ISO 8601)."""
        return str(self.fields["at"])

    @property
    def digest(self) -> str:
        """The hex SHA-256 of this line's bytes: the next line's ``prev``."""
        return hashlib.sha256(self.raw).hexdigest()


def utc_now_iso() -> str:
    """The current UTC time as ISO 8601 with microseconds."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def encode_line(fields: Mapping[str, Any]) -> bytes:
    """Canonical encoding: sorted keys, no spaces, UTF-8. The same event always gives the same bytes."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def parse_line(raw: bytes, *, where: str) -> JournalLine:
    """Parse one line's bytes (no newline). Raises JournalError naming ``where`` when it is malformed."""
    try:
        fields = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JournalError(f"{where}: not a valid JSON line ({exc})") from exc
    if not isinstance(fields, dict):
        raise JournalError(f"{where}: a journal line must be a JSON object")
    for name in ("v", "seq", "prev", "type", "at"):
        if name not in fields:
            raise JournalError(f"{where}: missing field '{name}'")
    if not isinstance(fields["seq"], int) or fields["seq"] < 0:
        raise JournalError(f"{where}: 'seq' must be a non-negative integer (got {fields['seq']!r})")
    return JournalLine(raw=raw, fields=fields)


def split_lines(data: bytes) -> tuple[list[bytes], bytes]:
    """Split journal bytes into complete lines and a torn tail (bytes after the last newline)."""
    if not data:
        return [], b""
    *complete, tail = data.split(b"\n")
    return complete, tail


def checkpoint_message(*, recording_id: str, tree_size: int, root_hex: str, prev: str) -> bytes:
    """The bytes a checkpoint signs: the recording, the Merkle root over its first ``tree_size``
    sealed objects, and the chain position (``prev``), so a signature cannot be moved elsewhere."""
    return "\n".join([CHECKPOINT_DOMAIN, recording_id, str(tree_size), root_hex, prev]).encode("utf-8")
