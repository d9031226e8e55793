"""Where things live: the spool on the recorder's disk and the object keys in the bucket (DESIGN.md).

Spool:   SPOOL/recordings/{recording_id}/{stream}/init.mp4, 00000001.m4s, …
         SPOOL/recordings/{recording_id}/journal/000001.jsonl, …
Bucket:  recordings/{court}/{yyyy}/{mm}/{dd}/{recording_id}/{stream}/{seq:08d}.m4s, …/init.mp4,
         …/journal/{n:06d}.jsonl, and recordings-by-id/{recording_id}.json pointing at that prefix.
Derived: replays-masked/{recording_id}/{stream}/… the portal's face-masked replay copy (not
         evidence, never locked; deleted with the recording when it is disposed of).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from archive.formats.identifiers import check_stream_name

LOCATOR_PREFIX = "recordings-by-id/"
MASKED_REPLAYS_PREFIX = "replays-masked"  # the portal's masked replay copies (portal.replays)


def segment_name(seq: int) -> str:
    """The file name of media segment ``seq`` (1-based)."""
    return f"{seq:08d}.m4s"


def recording_prefix(court: str, started: datetime, recording_id: str) -> str:
    """The object-key prefix of one recording (no trailing slash)."""
    return f"recordings/{court}/{started:%Y/%m/%d}/{recording_id}"


def locator_key(recording_id: str) -> str:
    """The key of the small object that maps a recording id to its prefix."""
    return f"{LOCATOR_PREFIX}{recording_id}.json"


def derived_prefixes(recording_id: str) -> tuple[str, ...]:
    """The key prefixes (with trailing slash) of the copies made from a recording that are not
    evidence (the masked replay): disposing of the recording deletes them too."""
    return (f"{MASKED_REPLAYS_PREFIX}/{recording_id}/",)


def locator_body(recording_id: str, prefix: str) -> bytes:
    """The locator object's bytes."""
    return json.dumps({"recording_id": recording_id, "prefix": prefix}, sort_keys=True).encode()


@dataclass(frozen=True, slots=True)
class RecordingSpool:
    """Paths of one recording in the local spool."""

    spool: Path
    recording_id: str

    @property
    def root(self) -> Path:
        return self.spool / "recordings" / self.recording_id

    @property
    def journal_dir(self) -> Path:
        return self.root / "journal"

    @property
    def descriptor_path(self) -> Path:
        return self.root / "recording.json"

    @property
    def locator_path(self) -> Path:
        return self.root / "locator.json"

    def stream_dir(self, stream: str) -> Path:
        return self.root / check_stream_name(stream)

    def relative(self, path: Path) -> str:
        """``path`` relative to the recording's root, with '/' separators (its key suffix)."""
        return path.relative_to(self.root).as_posix()


def queue_path(spool: Path) -> Path:
    """The upload queue's database in a spool."""
    return spool / "upload-queue.sqlite"


def device_key_path(spool: Path) -> Path:
    """Default location of the device's signing key."""
    return spool / "device" / "ed25519.pem"
