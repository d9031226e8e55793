"""Recording end to end: real sources, real x264/AAC encoders, real SeaweedFS, then `archive verify`."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import NamedTuple

import av
import pytest

from archive.preservation.verify import find_prefix, verify_recording
from archive.store.object_store import ObjectStore

from .conftest import SMALL_VIDEO, RunAgent, RunHere, copy_bucket, journal_events, run_module

pytestmark = pytest.mark.integration


class Recorded(NamedTuple):
    """A finished recording: the store holding it, its spool (journal, device key) and its id."""

    store: ObjectStore
    spool: Path
    recording_id: str


def _segments_by_stream(events: list[dict[str, object]]) -> dict[str, list[dict[str, object]]]:
    streams: dict[str, list[dict[str, object]]] = {}
    for event in events:
        if event["type"] == "segment":
            streams.setdefault(str(event["stream"]), []).append(event)
    return streams


def _init_bytes(store: ObjectStore, prefix: str, events: list[dict[str, object]], stream: str) -> bytes:
    init = next(e for e in events if e["type"] == "init" and e["stream"] == stream)
    return store.read_bytes(f"{prefix}/{init['object']}")


def test_ten_seconds_of_three_streams_archive_and_verify(
    tmp_path: Path, run_agent: RunAgent, object_store: ObjectStore
) -> None:
    spool = tmp_path / "spool"
    result = run_agent(
        "record",
        "--room",
        "court-3",
        "--case",
        "2026-civ-1234",
        "--recording-id",
        "rec-three",
        "--spool",
        str(spool),
        "--duration",
        "10",
        "--segment-seconds",
        "4",
        "--source",
        f"{SMALL_VIDEO}&name=cam-a",
        "--source",
        f"{SMALL_VIDEO}&name=cam-b",
        "--source",
        "synthetic#video=0&name=mic",
    )
    assert result.returncode == 0, result.stderr
    report = verify_recording(object_store, "rec-three")
    assert report.intact, report.problems
    assert report.streams == {"cam-a", "cam-b", "mic"}

    events = journal_events(spool, "rec-three")
    prefix = find_prefix(object_store, "rec-three")
    streams = _segments_by_stream(events)
    for stream, segments in streams.items():
        assert [s["segment"] for s in segments] == list(range(1, len(segments) + 1))
        total = sum(float(s["duration"]) for s in segments)
        assert len(segments) >= 3, (stream, len(segments))
        assert abs(total - 10) <= 4, (stream, total)
        init = _init_bytes(object_store, prefix, events, stream)
        for segment in segments:
            media = object_store.read_bytes(f"{prefix}/{segment['object']}")
            with av.open(io.BytesIO(init + media)) as container:
                if stream.startswith("cam"):
                    frames = list(container.decode(video=0))
                    assert frames, f"{segment['object']} decodes to no frames"
                    assert frames[0].key_frame, f"{segment['object']} does not start with a keyframe"
                    assert (frames[0].width, frames[0].height) == (320, 240)
                else:
                    assert list(container.decode(audio=0)), f"{segment['object']} has no audio"
    # the spool keeps no media once the store confirmed it
    assert not list((spool / "recordings" / "rec-three").glob("*/*.m4s"))


@pytest.fixture(scope="module")
def short_recording(tmp_path_factory: pytest.TempPathFactory, module_object_store: ObjectStore) -> Recorded:
    """One 6-s recording (2-s segments, default checkpoints) in a bucket of the module's own, made
    once; tests that tamper with it do so on their own copy (:func:`_copy_bucket`)."""
    spool = tmp_path_factory.mktemp("short-recording") / "spool"
    result = run_module(
        "capture",
        ["record", "--room", "court-1", "--recording-id", "rec-short", "--spool", str(spool),
         "--duration", "6", "--segment-seconds", "2", "--source", SMALL_VIDEO],
        module_object_store.config,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return Recorded(module_object_store, spool, "rec-short")


def test_tampering_is_named_by_verify(
    short_recording: Recorded, object_store: ObjectStore, run_archive_here: RunHere
) -> None:
    copy_bucket(short_recording.store, object_store)
    spool, recording_id = short_recording.spool, short_recording.recording_id
    assert verify_recording(object_store, recording_id).intact
    prefix = find_prefix(object_store, recording_id)
    segments = [e for e in journal_events(spool, recording_id) if e["type"] == "segment"]
    flipped, deleted = f"{prefix}/{segments[1]['object']}", f"{prefix}/{segments[2]['object']}"

    data = bytearray(object_store.read_bytes(flipped))
    data[len(data) // 2] ^= 0x01
    _replace_object(object_store, flipped, bytes(data))
    object_store.delete(deleted)

    verify = run_archive_here("verify", recording_id, config=object_store.config)
    assert verify.returncode == 1
    lines = verify.stdout.splitlines()
    assert any(flipped in line and "SHA-256 mismatch" in line for line in lines), verify.stdout
    assert any(deleted in line and "missing" in line for line in lines), verify.stdout

    journal_key = f"{prefix}/journal/000001.jsonl"
    chunk = object_store.read_bytes(journal_key)
    _replace_object(object_store, journal_key, chunk.replace(b'"room":"court-1"', b'"room":"court-9"'))
    report = verify_recording(object_store, recording_id)
    assert any("hash chain broken" in problem for problem in report.problems), report.problems


def _record_short(run_agent: RunAgent, spool: Path, recording_id: str, *extra: str, seconds: int) -> None:
    """Record ``seconds`` of one small synthetic camera in 2-s segments, to the test's bucket."""
    result = run_agent(
        "record", "--room", "court-1", "--recording-id", recording_id, "--spool", str(spool),
        "--duration", str(seconds), "--segment-seconds", "2", "--source", SMALL_VIDEO, *extra,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def _replace_object(store: ObjectStore, key: str, data: bytes) -> None:
    """Simulate tampering at the storage layer (the archive itself never overwrites)."""
    store.delete(key)
    store.put_bytes(key, data, hashlib.sha256(data).hexdigest())


def test_truncated_journal_tail_fails_verification(
    short_recording: Recorded, object_store: ObjectStore
) -> None:
    copy_bucket(short_recording.store, object_store)
    recording_id = short_recording.recording_id
    assert verify_recording(object_store, recording_id).intact  # the copy is whole before it is cut
    prefix = find_prefix(object_store, recording_id)
    key = f"{prefix}/journal/000001.jsonl"
    lines = object_store.read_bytes(key).splitlines(keepends=True)
    _replace_object(object_store, key, b"".join(lines[:-3]))
    problems = verify_recording(object_store, recording_id).problems
    assert any("does not end with a signed checkpoint" in p for p in problems), problems


def test_verify_of_unknown_recording_is_a_clear_error(
    object_store: ObjectStore, run_archive_here: RunHere
) -> None:
    result = run_archive_here("verify", "no-such-recording", config=object_store.config)
    assert result.returncode == 2
    assert "no-such-recording is not in bucket" in result.stderr


def test_device_key_signs_every_checkpoint(
    tmp_path: Path, run_agent: RunAgent, object_store: ObjectStore
) -> None:
    spool = tmp_path / "spool"
    _record_short(run_agent, spool, "rec-key", "--checkpoint-seconds", "2", seconds=5)
    key_file = spool / "device" / "ed25519.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600
    events = journal_events(spool, "rec-key")
    checkpoints = [e for e in events if e["type"] == "checkpoint"]
    assert len(checkpoints) >= 2
    start = next(e for e in events if e["type"] == "start")
    assert verify_recording(object_store, "rec-key", public_key=str(start["public_key"])).intact
    wrong = "A" * 43 + "="  # pinning another device's key must fail every checkpoint
    report = verify_recording(object_store, "rec-key", public_key=wrong)
    assert sum("signature is not valid" in p for p in report.problems) == len(checkpoints)
