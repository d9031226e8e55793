"""``archive verify`` on a recording still in progress (no stop event yet, issue 13): it says "in
progress", checks every sealed journal chunk and what it covers (exit 0 when intact), counts segments
uploaded after the last sealed chunk as not yet covered, and still catches tampering of what is
sealed."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.formats.hashing import sha256_bytes
from archive.journal import InitEvent, JournalWriter, list_chunks
from archive.preservation.verify import verify_recording
from archive.settings import ArchiveSettings
from archive.spool.layout import locator_body, locator_key
from archive.store.object_store import ObjectStore
from archive.verify_command import VerifyRequest, run_verify
from tests.faults.tamper_kit import _T0, PREFIX, RECORDING_ID, Objects, _segment, _start, new_key, upload

pytestmark = pytest.mark.integration


def _in_progress(workdir: Path) -> tuple[Objects, str]:
    """Three sealed segments under a signed checkpoint (chunk 1 uploaded), then two more segments
    uploaded whose journal lines are still in the chunk the recorder writes; no stop. Returns the
    objects and the device's public key."""
    key = new_key()
    objects: Objects = {}
    at = _T0
    with JournalWriter.open(workdir / "journal", RECORDING_ID, key) as journal:
        journal.append(_start(key.public_key_b64, 1), at=at)
        init = os.urandom(600)
        objects[f"{PREFIX}/cam/init.mp4"] = init
        journal.append(InitEvent("cam", "cam/init.mp4", sha256_bytes(init), len(init)), at=at)
        for n in range(1, 6):
            data = os.urandom(2000 + n)
            objects[f"{PREFIX}/cam/{n:08d}.m4s"] = data
            journal.append(_segment(n, data, at), at=at + timedelta(seconds=6))
            at += timedelta(seconds=6)
            if n == 3:
                journal.checkpoint()  # closes chunk 000001: the only one uploaded so far
        closed = list_chunks(workdir / "journal")[0]
        objects[f"{PREFIX}/journal/{closed.name}"] = closed.read_bytes()
    objects[locator_key(RECORDING_ID)] = locator_body(RECORDING_ID, PREFIX)
    return objects, key.public_key_b64


def test_an_intact_recording_in_progress_says_so_and_exits_0(
    object_store: ObjectStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    objects, public_key = _in_progress(tmp_path)
    upload(object_store, objects)
    report = verify_recording(object_store, RECORDING_ID, public_key=public_key)
    assert report.intact and report.in_progress, report.problems
    assert report.segments == 3 and report.objects_checked == 4  # what the sealed chunk covers
    assert report.not_yet_covered == [f"{PREFIX}/cam/00000004.m4s", f"{PREFIX}/cam/00000005.m4s"]

    request = VerifyRequest(recording_id=RECORDING_ID, public_key=public_key)
    assert run_verify(request, ArchiveSettings(), object_store) == 0
    out = capsys.readouterr().out
    summary = out.strip().splitlines()[-1]
    assert summary.startswith(
        f"recording {RECORDING_ID} (in progress: no stop event yet): sealed so far intact"
    )
    assert "2 object(s) uploaded after the last sealed journal chunk, not yet covered" in summary
    assert "warning: in progress" in out


def test_tampering_with_what_is_sealed_is_still_caught(
    object_store: ObjectStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    objects, public_key = _in_progress(tmp_path)
    sealed = f"{PREFIX}/cam/00000002.m4s"
    objects[sealed] = bytes([objects[sealed][0] ^ 1]) + objects[sealed][1:]
    objects[f"{PREFIX}/cam/notes.txt"] = b"not a segment"  # in progress or not, never accounted for
    upload(object_store, objects)
    request = VerifyRequest(recording_id=RECORDING_ID, public_key=public_key)
    assert run_verify(request, ArchiveSettings(), object_store) == 1
    out = capsys.readouterr().out
    assert f"{sealed} (journal seq" in out and "SHA-256 mismatch" in out
    assert f"{PREFIX}/cam/notes.txt: object not accounted for by the journal" in out
    assert (
        out.strip().splitlines()[-1]
        == f"recording {RECORDING_ID} (in progress: no stop event yet): 2 problem(s) found"
    )


def test_a_recording_silent_for_long_without_a_stop_is_called_ended_not_in_progress(
    object_store: ObjectStore, tmp_path: Path
) -> None:
    """The same journal read an hour after its last checkpoint: the recorder crashed and never
    resumed (or its uploads are that far behind), which the report says instead of "in progress"."""
    objects, public_key = _in_progress(tmp_path)
    upload(object_store, objects)
    now = datetime.now(UTC)
    recent = verify_recording(object_store, RECORDING_ID, public_key=public_key, now=now)
    assert recent.in_progress and not recent.ended_without_stop
    later = verify_recording(object_store, RECORDING_ID, public_key=public_key, now=now + timedelta(hours=1))
    assert later.intact and later.in_progress and later.ended_without_stop
    assert "ended without a stop (crashed?)" in later.summary() and "in progress" not in later.summary()
    assert any(w.startswith("ended without a stop (crashed?)") and "60 min ago" in w for w in later.warnings)
