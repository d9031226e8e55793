"""Which journal chunks to trust: chain continuity, recording identity, checkpoint roots and signatures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive.errors import JournalError
from archive.formats.hashing import sha256_bytes
from archive.journal.run_events import StopEvent
from archive.journal.segment_events import CheckpointEvent
from archive.journal.signing.device_key import DeviceKey, load_or_create_device_key
from archive.journal.signing.merkle import merkle_root
from archive.journal.signing.trust import ChainState
from archive.journal.writer import JournalWriter, list_chunks
from tests.archive.journal_builders import segment_event, start_event

DIGEST_A = "aa" * 32
DIGEST_B = "bb" * 32


@pytest.fixture
def key(tmp_path: Path) -> DeviceKey:
    return load_or_create_device_key(tmp_path / "key" / "device.pem")


def _journal(directory: Path, key: DeviceKey, recording_id: str = "rec-1") -> list[bytes]:
    with JournalWriter.open(directory, recording_id, key) as journal:
        journal.append(start_event(key.public_key_b64, reason="hearing opened"))
        journal.append(segment_event("cam", 1, DIGEST_A))
        journal.checkpoint()
        journal.append(segment_event("cam", 2, DIGEST_B))
        journal.append(StopEvent(reason="hearing closed"))
        journal.checkpoint()
    return [path.read_bytes() for path in list_chunks(directory)]


def test_a_genuine_journal_is_accepted_chunk_by_chunk(tmp_path: Path, key: DeviceKey) -> None:
    first, second = _journal(tmp_path, key)
    state = ChainState("rec-1").advance("000001.jsonl", first).advance("000002.jsonl", second)
    assert [line.seq for line in state.lines] == list(range(6))
    assert len(state.leaves) == 2 and state.public_key == key.public_key_b64
    checkpoint = state.events[-1]
    assert isinstance(checkpoint, CheckpointEvent) and state.root == checkpoint.root


def test_broken_or_foreign_chunks_are_refused(tmp_path: Path, key: DeviceKey) -> None:
    first, second = _journal(tmp_path / "a", key)
    with pytest.raises(JournalError, match="seq 3 where 0"):
        ChainState("rec-1").advance("000002.jsonl", second)  # out of order
    with pytest.raises(JournalError, match="belongs to recording"):
        ChainState("rec-2").advance("000001.jsonl", first)
    with pytest.raises(JournalError, match="bytes after the last complete line"):
        ChainState("rec-1").advance("000001.jsonl", first + b'{"torn')
    with pytest.raises(JournalError, match="not a valid JSON line"):
        ChainState("rec-1").advance("000001.jsonl", first.replace(b'"seq":1', b'"seq":1x', 1))
    with pytest.raises(JournalError, match="does not end with a signed checkpoint"):
        ChainState("rec-1").advance("000001.jsonl", b"\n".join(first.split(b"\n")[:2]) + b"\n")


def _rechain(lines: list[dict[str, object]]) -> bytes:
    """Re-encode edited lines and repair every ``prev``, as a forger without the device key would."""
    raws: list[bytes] = []
    for index, fields in enumerate(lines):
        if index:
            fields["prev"] = sha256_bytes(raws[-1])
        raws.append(json.dumps(fields, sort_keys=True, separators=(",", ":")).encode())
    return b"\n".join(raws) + b"\n"


def test_a_consistently_rechained_but_unsigned_edit_is_refused(tmp_path: Path, key: DeviceKey) -> None:
    first, _ = _journal(tmp_path, key)
    lines = [json.loads(raw) for raw in first.splitlines()]
    lines[1]["sha256"] = "cc" * 32  # swap the segment's hash, keep the chain consistent
    with pytest.raises(JournalError, match="Merkle root does not match"):
        ChainState("rec-1").advance("000001.jsonl", _rechain(lines))
    lines[-1]["root"] = merkle_root([bytes.fromhex("cc" * 32)]).hex()  # fix the root too
    with pytest.raises(JournalError, match="signature is not valid"):
        ChainState("rec-1").advance("000001.jsonl", _rechain(lines))


def test_a_checkpoint_signed_by_another_key_is_refused(tmp_path: Path, key: DeviceKey) -> None:
    other = load_or_create_device_key(tmp_path / "other.pem")
    with JournalWriter.open(tmp_path / "j", "rec-1", other) as journal:
        journal.append(start_event(key.public_key_b64, reason="claims another device's key"))
        journal.append(segment_event("cam", 1, DIGEST_A))
        journal.checkpoint()
    chunk = list_chunks(tmp_path / "j")[0].read_bytes()
    with pytest.raises(JournalError, match="signature is not valid"):
        ChainState("rec-1").advance("000001.jsonl", chunk)
