"""A multi-session recording archived in a real bucket, and the tamperings tried against it.

Shared by ``tests/faults/test_tamper_table.py`` (short) and ``bench/fault_tamper.py``. The recording
is written by the real journal writer (hash chain, Merkle checkpoints, Ed25519 signatures) with
random bytes as media (verification never decodes media); every session ends with a stop and a
signed checkpoint, so cutting whole sessions off leaves a journal that is valid on its own. What the
verifier trusts from outside — the approved device keys (signed by a portal key) and the latest
checkpoint head the portal anchored — is built here the way the portal builds it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from archive.formats.hashing import sha256_bytes
from archive.journal import (
    CheckpointEvent,
    DeviceKey,
    InitEvent,
    JournalWriter,
    SegmentEvent,
    StartEvent,
    StopEvent,
    list_chunks,
    parse_event,
)
from archive.journal.format import JournalLine, encode_line, parse_line
from archive.journal.signing.anchor import CheckpointHead, last_head
from archive.journal.signing.key_list import RegisteredKey, load_key_list, sign_key_list
from archive.journal.stream_declaration import StreamDeclaration, VideoDeclaration
from archive.preservation.verify import VerifyReport, verify_recording
from archive.preservation.verify_trust import AnchoredHead, KeyListRegistry, TrustAnchors
from archive.spool.layout import locator_body, locator_key
from archive.store.object_store import ObjectStore

RECORDING_ID = "rec-tamper"
DEVICE_ID = "dev-tamper"
PREFIX = f"recordings/court-1/2026/01/01/{RECORDING_ID}"
_T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
Objects = dict[str, bytes]


@dataclass(slots=True)
class Archived:
    """The archived objects of one recording and what the verifier trusts about it."""

    objects: Objects
    device_key: DeviceKey
    portal_key: DeviceKey
    heads: list[CheckpointHead] = field(default_factory=list)

    @property
    def chunks(self) -> list[str]:
        return sorted(k for k in self.objects if k.startswith(f"{PREFIX}/journal/"))

    def segments(self) -> list[str]:
        return sorted(k for k in self.objects if k.endswith(".m4s"))

    def trust(self, *, anchored: CheckpointHead | None = None) -> TrustAnchors:
        """The portal's view: its signed key list (read back and verified) and the anchored head
        (the latest one the agent reported, unless ``anchored`` is given)."""
        listed = [RegisteredKey(self.device_key.public_key_b64, DEVICE_ID, _T0.isoformat(), "admin")]
        data = sign_key_list(listed, self.portal_key, issued_at=_T0)
        keys = load_key_list(data, trusted_issuer=self.portal_key.public_key_b64, where="key list")
        head = anchored or self.heads[-1]
        return TrustAnchors(
            keys=KeyListRegistry(keys, "key list signed by the test portal"),
            heads=(AnchoredHead(head, "portal (test)"),),
            sources_tried=("portal (test)",),
        )


def new_key() -> DeviceKey:
    return DeviceKey(Ed25519PrivateKey.generate())


def record(workdir: Path, *, sessions: int = 3, segments_per_session: int = 3) -> Archived:
    """Write a recording of ``sessions`` runs (each: start, segments, stop, checkpoint)."""
    archived = Archived(objects={}, device_key=new_key(), portal_key=new_key())
    journal_dir = workdir / "journal"
    at = _T0
    segment = 0
    with JournalWriter.open(journal_dir, RECORDING_ID, archived.device_key) as journal:
        for run in range(1, sessions + 1):
            journal.append(_start(archived.device_key.public_key_b64, run), at=at)
            if run == 1:
                init = os.urandom(600)
                archived.objects[f"{PREFIX}/cam/init.mp4"] = init
                journal.append(InitEvent("cam", "cam/init.mp4", sha256_bytes(init), len(init)), at=at)
            for _ in range(segments_per_session):
                segment += 1
                data = os.urandom(2000 + segment)
                archived.objects[f"{PREFIX}/cam/{segment:08d}.m4s"] = data
                journal.append(_segment(segment, data, at), at=at + timedelta(seconds=6))
                at += timedelta(seconds=6)
            journal.append(StopEvent(reason="hearing closed"), at=at)
            journal.checkpoint()
            head = last_head(RECORDING_ID, journal.history)
            assert head is not None
            archived.heads.append(head)
            at += timedelta(hours=1)
    for chunk in list_chunks(journal_dir):
        archived.objects[f"{PREFIX}/journal/{chunk.name}"] = chunk.read_bytes()
    archived.objects[locator_key(RECORDING_ID)] = locator_body(RECORDING_ID, PREFIX)
    return archived


def _start(public_key: str, run: int, case: str = "(2026)京0105民初1号") -> StartEvent:
    return StartEvent(
        device_id=DEVICE_ID,
        public_key=public_key,
        court="court-1",
        room="room-1",
        case=case,
        run=run,
        reason="hearing opened" if run == 1 else "resumed after a stop",
        object_prefix=PREFIX,
        streams=(
            StreamDeclaration(
                "cam", "synthetic:", VideoDeclaration(width=320, height=240, fps="15", codec="h264"), None
            ),
        ),
    )


def _segment(n: int, data: bytes, at: datetime) -> SegmentEvent:
    return SegmentEvent(
        stream="cam",
        segment=n,
        object=f"cam/{n:08d}.m4s",
        sha256=sha256_bytes(data),
        size=len(data),
        init="cam/init.mp4",
        start_seconds=(n - 1) * 6.0,
        end_seconds=n * 6.0,
        duration=6.0,
        t_start_utc=at.isoformat(),
        t_end_utc=(at + timedelta(seconds=6)).isoformat(),
    )


def upload(store: ObjectStore, objects: Objects) -> None:
    """Put ``objects`` into ``store``'s bucket, each with its own SHA-256 (what an attacker with write
    access can do: the bucket's metadata then agrees with the tampered bytes)."""
    for key, data in sorted(objects.items()):
        store.put_bytes(key, data, sha256_bytes(data))


# -- the tamperings: each turns the archived objects into what an attacker leaves behind -----------


def _lines(data: bytes) -> list[JournalLine]:
    return [parse_line(raw, where="tamper") for raw in data.split(b"\n") if raw]


def _join(lines: list[bytes]) -> bytes:
    return b"".join(raw + b"\n" for raw in lines)


def flip_byte(a: Archived) -> Objects:
    key = a.segments()[1]
    data = bytearray(a.objects[key])
    data[len(data) // 2] ^= 0x01
    return {**a.objects, key: bytes(data)}


def delete_segment(a: Archived) -> Objects:
    objects = dict(a.objects)
    del objects[a.segments()[2]]
    return objects


def swap_segments(a: Archived) -> Objects:
    first, second = a.segments()[0], a.segments()[1]
    return {**a.objects, first: a.objects[second], second: a.objects[first]}


def foreign_segment(a: Archived) -> Objects:
    """A segment of another recording slipped in beside the recording's own."""
    return {**a.objects, f"{PREFIX}/cam/{len(a.segments()) + 1:08d}.m4s": os.urandom(2100)}


def edit_journal_line(a: Archived) -> Objects:
    """The case number changed in the first start line (the chain is left as it was)."""
    key = a.chunks[0]
    lines = _lines(a.objects[key])
    fields = dict(lines[0].fields)
    fields["case"] = "(2026)京0105民初999号"
    edited = [encode_line(fields), *(line.raw for line in lines[1:])]
    return {**a.objects, key: _join(edited)}


def truncate_journal_tail(a: Archived) -> Objects:
    """The last chunk loses its final line (the closing checkpoint)."""
    key = a.chunks[-1]
    lines = _lines(a.objects[key])
    return {**a.objects, key: _join([line.raw for line in lines[:-1]])}


def roll_back_session(a: Archived) -> Objects:
    """The last session's journal chunk and segments deleted: the journal now ends, validly, with
    the previous session's stop and signed checkpoint."""
    last_chunk = a.chunks[-1]
    cut_from = min(
        event.segment
        for line in _lines(a.objects[last_chunk])
        if isinstance(event := parse_event(line), SegmentEvent)
    )
    return {
        key: data
        for key, data in a.objects.items()
        if key != last_chunk and not (key.endswith(".m4s") and int(key[-12:-4]) >= cut_from)
    }


def resign_with_new_key(a: Archived) -> Objects:
    """The whole journal rewritten with another case number and signed with a new key: chain,
    Merkle roots and signatures all valid."""
    events = [parse_event(line) for chunk in a.chunks for line in _lines(a.objects[chunk])]
    ats = [line.at for chunk in a.chunks for line in _lines(a.objects[chunk])]
    forger = new_key()
    objects = {k: v for k, v in a.objects.items() if not k.startswith(f"{PREFIX}/journal/")}
    with tempfile.TemporaryDirectory(prefix="tamper-resign-") as scratch:
        with JournalWriter.open(Path(scratch), RECORDING_ID, forger) as journal:
            for event, at in zip(events, ats, strict=True):
                if isinstance(event, CheckpointEvent):
                    journal.checkpoint()
                    continue
                forged = (
                    replace(event, public_key=forger.public_key_b64, case="(2026)京0105民初999号")
                    if isinstance(event, StartEvent)
                    else event
                )
                journal.append(forged, at=datetime.fromisoformat(at))
        for chunk in list_chunks(Path(scratch)):
            objects[f"{PREFIX}/journal/{chunk.name}"] = chunk.read_bytes()
    return objects


def replay_old_checkpoint(a: Archived) -> Objects:
    """The last checkpoint replaced by the first session's (re-numbered to fit the chain): an old,
    genuinely signed checkpoint standing in for the newest one."""
    key = a.chunks[-1]
    lines = _lines(a.objects[key])
    old = _lines(a.objects[a.chunks[0]])[-1]
    fields = {**old.fields, "seq": lines[-1].seq, "prev": lines[-1].prev, "at": lines[-1].at}
    return {**a.objects, key: _join([*(line.raw for line in lines[:-1]), encode_line(fields)])}


@dataclass(frozen=True, slots=True)
class Tampering:
    """One tampering and the finding verification must report (a substring of one problem)."""

    name: str
    make: Callable[[Archived], Objects]
    finding: str


TAMPERINGS = (
    Tampering("flip a byte", flip_byte, "SHA-256 mismatch"),
    Tampering("delete a segment", delete_segment, "missing from the bucket"),
    Tampering("swap two segments", swap_segments, "SHA-256 mismatch"),
    Tampering("foreign segment", foreign_segment, "object not accounted for by the journal"),
    Tampering("edited journal line", edit_journal_line, "hash chain broken"),
    Tampering("truncated journal tail", truncate_journal_tail, "does not end with a signed checkpoint"),
    Tampering("rolled back to an earlier session", roll_back_session, "the journal was cut back"),
    Tampering("re-signed with a new key", resign_with_new_key, "is not an approved device key"),
    Tampering("replayed old checkpoint", replay_old_checkpoint, "checkpoint signature is not valid"),
)


def verify_tampered(store: ObjectStore, archived: Archived, tampering: Tampering) -> VerifyReport:
    """Upload the tampered objects into ``store``'s (empty) bucket and verify with the portal's trust."""
    upload(store, tampering.make(archived))
    return verify_recording(store, RECORDING_ID, trust=archived.trust())


def describe(report: VerifyReport) -> str:
    return json.dumps({"problems": report.problems, "warnings": report.warnings}, ensure_ascii=False)
