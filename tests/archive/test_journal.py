"""The journal: hash chain, signed checkpoints, chunking, crash recovery and tamper detection."""

from pathlib import Path

import pytest

from archive.errors import ArchiveError, JournalError
from archive.journal.chain import read_chain
from archive.journal.events import parse_event
from archive.journal.format import checkpoint_message
from archive.journal.incident_events import RepairEvent
from archive.journal.run_events import StopEvent
from archive.journal.segment_events import CheckpointEvent
from archive.journal.signing.device_key import load_or_create_device_key, verify_signature
from archive.journal.signing.merkle import merkle_root
from archive.journal.writer import JournalWriter, list_chunks
from tests.archive.journal_builders import segment_event, start_event

DIGEST_A = "aa" * 32
DIGEST_B = "bb" * 32


def _chunks(journal_dir: Path) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in list_chunks(journal_dir)]


@pytest.fixture
def key(tmp_path: Path):
    return load_or_create_device_key(tmp_path / "key" / "device.pem")


def test_device_key_is_owner_only_and_reloads(tmp_path: Path) -> None:
    path = tmp_path / "device.pem"
    first = load_or_create_device_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_or_create_device_key(path).public_key_b64 == first.public_key_b64
    path.chmod(0o644)
    with pytest.raises(ArchiveError, match="0600"):
        load_or_create_device_key(path)


def test_chain_checkpoints_and_chunks(tmp_path: Path, key) -> None:
    closed: list[Path] = []
    with JournalWriter.open(tmp_path, "rec-1", key, on_chunk_closed=closed.append) as journal:
        journal.append(start_event(key.public_key_b64, reason="hearing opened"))
        journal.append(segment_event("cam", 1, DIGEST_A))
        first = journal.checkpoint()
        journal.append(segment_event("cam", 2, DIGEST_B))
        journal.append(StopEvent(reason="hearing closed"))
        second = journal.checkpoint()
        assert journal.checkpoint() is None  # nothing new since the last checkpoint
    assert closed == [first, second] == list_chunks(tmp_path)
    report = read_chain(_chunks(tmp_path))
    assert report.intact, report.problems
    assert [line.seq for line in report.lines] == list(range(6))
    last = parse_event(report.lines[-1])
    assert isinstance(last, CheckpointEvent)
    root = merkle_root([bytes.fromhex(DIGEST_A), bytes.fromhex(DIGEST_B)]).hex()
    assert last.root == root and last.tree_size == 2
    message = checkpoint_message(
        recording_id="rec-1", tree_size=2, root_hex=root, prev=report.lines[-2].digest
    )
    assert verify_signature(key.public_key_b64, message, last.signature)
    assert not verify_signature(key.public_key_b64, message + b"x", last.signature)


def _write_three_lines(directory: Path, key) -> None:
    with JournalWriter.open(directory, "rec-1", key) as journal:
        for number in range(3):
            journal.append(segment_event("cam", number + 1, DIGEST_A))


def test_edited_line_breaks_the_chain(tmp_path: Path, key) -> None:
    _write_three_lines(tmp_path, key)
    chunk = list_chunks(tmp_path)[0]
    chunk.write_bytes(chunk.read_bytes().replace(b'"segment":2', b'"segment":9'))
    report = read_chain(_chunks(tmp_path))
    assert not report.intact
    assert any("line 3" in problem and "chain" in problem for problem in report.problems)


def test_deleted_and_reordered_lines_are_detected(tmp_path: Path, key) -> None:
    _write_three_lines(tmp_path, key)
    chunk = list_chunks(tmp_path)[0]
    lines = chunk.read_bytes().splitlines(keepends=True)
    chunk.write_bytes(lines[0] + lines[2])
    assert any("seq 2 where 1" in p for p in read_chain(_chunks(tmp_path)).problems)
    chunk.write_bytes(lines[1] + lines[0] + lines[2])
    assert not read_chain(_chunks(tmp_path)).intact


def test_torn_tail_is_cut_kept_and_journaled(tmp_path: Path, key) -> None:
    _write_three_lines(tmp_path, key)
    chunk = list_chunks(tmp_path)[0]
    with chunk.open("ab") as handle:
        handle.write(b'{"seq":3,"prev":"half a li')
    with JournalWriter.open(tmp_path, "rec-1", key) as journal:
        repair = parse_event(journal.history[-1])
        assert isinstance(repair, RepairEvent) and journal.history[-1].seq == 3
        assert repair.torn_bytes == len(b'{"seq":3,"prev":"half a li')
        journal.append(StopEvent(reason="hearing closed"))
    kept = list(tmp_path.glob("torn-*.bin"))
    assert len(kept) == 1 and kept[0].read_bytes() == b'{"seq":3,"prev":"half a li'
    assert read_chain(_chunks(tmp_path)).intact


def test_reopening_continues_the_chain_and_leaves(tmp_path: Path, key) -> None:
    _write_three_lines(tmp_path, key)
    with JournalWriter.open(tmp_path, "rec-1", key) as journal:
        journal.checkpoint()
        checkpoint = parse_event(journal.history[-1])
    assert isinstance(checkpoint, CheckpointEvent) and checkpoint.tree_size == 3
    report = read_chain(_chunks(tmp_path))
    assert report.intact and len(report.lines) == 4


def test_only_one_writer_at_a_time(tmp_path: Path, key) -> None:
    with JournalWriter.open(tmp_path, "rec-1", key), pytest.raises(JournalError, match="in use"):
        JournalWriter.open(tmp_path, "rec-1", key)


def test_damaged_journal_is_refused_not_rewritten(tmp_path: Path, key) -> None:
    _write_three_lines(tmp_path, key)
    chunk = list_chunks(tmp_path)[0]
    damaged = chunk.read_bytes().replace(b'"segment":1', b'"segment":7')
    chunk.write_bytes(damaged)
    with pytest.raises(JournalError, match="damaged"):
        JournalWriter.open(tmp_path, "rec-1", key)
    assert chunk.read_bytes() == damaged
