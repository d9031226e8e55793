"""CMAF track files in the archive (docs/FORMATS.md): what `archive verify` holds a stream declared
``cmaf`` to, what a broken writer's segments look like to it, and that a recording made before the
format change (one file with video and audio, no ``styp``; a fixture written by the old recorder)
still verifies and plays. Real SeaweedFS, real x264, GStreamer's qtdemux as the independent player."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from archive.export import build_vod_playlist, load_tracks
from archive.formats import (
    SEGMENT_TYPE_BOX,
    header_problems,
    iter_boxes,
    leading_brands,
    segment_problems,
    sha256_bytes,
    track_count,
)
from archive.journal import (
    CMAF_TRACK_FILE,
    AudioDeclaration,
    InitEvent,
    JournalWriter,
    SegmentEvent,
    StartEvent,
    StopEvent,
    StreamDeclaration,
    VideoDeclaration,
    load_or_create_device_key,
)
from archive.preservation.verify import verify_recording
from archive.spool import locator_body, locator_key
from archive.store.object_store import ObjectStore
from capture.recording.stream.encoder import VideoEncoderConfig, open_video_encoder
from capture.recording.stream.segmenter import CmafSegmenter

OLD_FORMAT = Path(__file__).parent / "data" / "old-format-recording"
OLD_ID = "old-format-1"
FPS = 15
GST = shutil.which("gst-launch-1.0")


def _upload_old_format(store: ObjectStore) -> str:
    """Put the old recording's objects into the bucket byte for byte; return its prefix."""
    locator = (OLD_FORMAT / "locator.json").read_bytes()
    prefix = str(json.loads(locator)["prefix"])
    store.put_bytes(locator_key(OLD_ID), locator, sha256_bytes(locator))
    for path in sorted(OLD_FORMAT.rglob("*")):
        relative = path.relative_to(OLD_FORMAT).as_posix()
        if path.is_file() and relative not in {"locator.json", "README.md"}:
            data = path.read_bytes()
            store.put_bytes(f"{prefix}/{relative}", data, sha256_bytes(data))
    return prefix


def _gst_decodes(media: bytes, tmp_path: Path, pipeline_tail: str) -> None:
    """GStreamer's qtdemux (not our code, not FFmpeg) demuxes and decodes ``media`` to the end."""
    if GST is None:
        pytest.skip("gst-launch-1.0 is not installed (Makefile: cmaf-checkers)")
    path = tmp_path / "probe.mp4"
    path.write_bytes(media)
    done = subprocess.run(
        [GST, "-q", "filesrc", f"location={path}", "!", "qtdemux", "name=d", *pipeline_tail.split()],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_an_old_format_recording_still_verifies_and_plays(object_store: ObjectStore, tmp_path: Path) -> None:
    prefix = _upload_old_format(object_store)
    report = verify_recording(object_store, OLD_ID)
    assert report.intact, report.problems
    assert report.streams == {"cam"} and report.segments == 2

    tracks = load_tracks(object_store, OLD_ID)
    cam = tracks.tracks["cam"]
    assert cam.declaration is not None and not cam.declaration.is_cmaf_track_file
    assert cam.declaration.video is not None and cam.declaration.audio is not None  # one file, both
    playlist = build_vod_playlist(cam, segment_url=lambda s: s.object, init_url=lambda i: i)
    assert '#EXT-X-MAP:URI="cam/init.mp4"' in playlist and "cam/00000002.m4s" in playlist

    init = object_store.read_bytes(f"{prefix}/cam/init.mp4")
    second = object_store.read_bytes(f"{prefix}/cam/00000002.m4s")
    assert track_count(init) == 2 and segment_problems(second) == ["does not start with a styp box"]
    with av.open(io.BytesIO(init + second)) as container:
        assert {stream.type for stream in container.streams} == {"video", "audio"}
    _gst_decodes(
        init + second,
        tmp_path,
        "d.video_0 ! queue ! h264parse ! avdec_h264 ! fakesink"
        " d.audio_0 ! queue ! aacparse ! avdec_aac ! fakesink",
    )


def _cmaf_video(tmp_path: Path, seconds: int = 3) -> tuple[bytes, list[bytes]]:
    """A CMAF video track file made by the recorder's segmenter (1-s segments): init, segments."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    inits: list[bytes] = []
    segments: list[Path] = []
    segmenter = CmafSegmenter(
        tmp_path,
        first_seq=1,
        segment_seconds=1,
        on_init=inits.append,
        on_segment=lambda sealed, _info: segments.append(sealed.path),
    )
    encoder = open_video_encoder(VideoEncoderConfig(width=320, height=240, fps=Fraction(FPS)))
    options = {"movflags": "frag_keyframe+empty_moov+default_base_moof+delay_moov+skip_trailer+cmaf"}
    with av.open(segmenter, "w", format="mp4", options=options | {"frag_duration": "200000"}) as container:
        stream = container.add_mux_stream("h264", rate=FPS, width=320, height=240, time_base=Fraction(1, FPS))
        for index in range(seconds * FPS + 1):
            frame = None
            if index < seconds * FPS:
                frame = av.VideoFrame.from_ndarray(
                    np.full((360, 320), index % 200, np.uint8), format="yuv420p"
                )
                frame.pts, frame.time_base = index, Fraction(1, FPS)
            for packet in encoder.encode(frame):
                packet.stream = stream
                container.mux(packet)
    segmenter.finish(float(seconds))
    return inits[0], [path.read_bytes() for path in segments]


def test_the_segmenter_writes_cmaf_track_files(tmp_path: Path) -> None:
    init, segments = _cmaf_video(tmp_path)
    assert header_problems(init) == [] and track_count(init) == 1
    ftyp = leading_brands(init, b"ftyp")
    assert ftyp is not None and "cmfc" in ftyp.compatible
    assert len(segments) == 3
    for segment in segments:
        assert segment.startswith(SEGMENT_TYPE_BOX) and segment_problems(segment) == []
        assert [box.type for box in iter_boxes(segment)][:3] == [b"styp", b"moof", b"mdat"]
    with av.open(io.BytesIO(init + segments[1])) as container:  # a middle segment decodes on its own
        frames = list(container.decode(video=0))
    assert frames[0].key_frame and len(frames) == FPS


def _journal_recording(
    store: ObjectStore,
    tmp_path: Path,
    recording_id: str,
    declaration: StreamDeclaration,
    objects: list[bytes],
) -> None:
    """What a (possibly broken) writer leaves: ``objects`` (init first, then segments) of stream
    ``cam``, each journaled with its true hash, a signed journal, the locator."""
    prefix = f"recordings/court-1/2026/12/03/{recording_id}"
    key = load_or_create_device_key(tmp_path / "device.pem")
    journal_dir = tmp_path / recording_id / "journal"
    journal_dir.mkdir(parents=True)
    with JournalWriter.open(journal_dir, recording_id, key) as journal:
        start = StartEvent(
            device_id="dev-1",
            public_key=key.public_key_b64,
            court="court-1",
            room="room-1",
            case=None,
            run=1,
            reason="hearing opened",
            object_prefix=prefix,
            streams=(declaration,),
        )
        journal.append(start)
        for number, data in enumerate(objects):
            name = "init.mp4" if number == 0 else f"{number:08d}.m4s"
            store.put_bytes(f"{prefix}/cam/{name}", data, sha256_bytes(data))
            digest = sha256_bytes(data)
            if number == 0:
                journal.append(InitEvent(stream="cam", object="cam/init.mp4", sha256=digest, size=len(data)))
                continue
            journal.append(
                SegmentEvent(
                    stream="cam",
                    segment=number,
                    object=f"cam/{name}",
                    sha256=digest,
                    size=len(data),
                    init="cam/init.mp4",
                    start_seconds=number - 1.0,
                    end_seconds=float(number),
                    duration=1.0,
                    t_start_utc=None,
                    t_end_utc=None,
                )
            )
        journal.append(StopEvent(reason="hearing closed"))
        journal.checkpoint()
    for chunk in sorted(journal_dir.glob("*.jsonl")):
        data = chunk.read_bytes()
        store.put_bytes(f"{prefix}/journal/{chunk.name}", data, sha256_bytes(data))
    locator = locator_body(recording_id, prefix)
    store.put_bytes(locator_key(recording_id), locator, sha256_bytes(locator))


_VIDEO = VideoDeclaration(width=320, height=240, fps="15", codec="h264")


def test_verify_names_a_segment_without_styp_from_a_broken_writer(
    object_store: ObjectStore, tmp_path: Path
) -> None:
    init, segments = _cmaf_video(tmp_path / "media")
    cmaf = StreamDeclaration(
        name="cam", source="synthetic:", video=_VIDEO, audio=None, format=CMAF_TRACK_FILE
    )
    _journal_recording(object_store, tmp_path / "good", "rec-cmaf-good", cmaf, [init, *segments])
    good = verify_recording(object_store, "rec-cmaf-good")
    assert good.intact, good.problems

    broken = [init, segments[0], segments[1].removeprefix(SEGMENT_TYPE_BOX), segments[2]]
    _journal_recording(object_store, tmp_path / "bad", "rec-cmaf-bad", cmaf, broken)
    report = verify_recording(object_store, "rec-cmaf-bad")
    assert len(report.problems) == 1, report.problems
    assert "cam/00000002.m4s" in report.problems[0] and "does not start with a styp box" in report.problems[0]


def test_verify_refuses_a_combined_file_declared_as_a_cmaf_track_file(
    object_store: ObjectStore, tmp_path: Path
) -> None:
    old = [(OLD_FORMAT / "cam" / name).read_bytes() for name in ("init.mp4", "00000001.m4s")]
    cmaf = StreamDeclaration(
        name="cam", source="synthetic:", video=_VIDEO, audio=None, format=CMAF_TRACK_FILE
    )
    _journal_recording(object_store, tmp_path / "lie", "rec-cmaf-lie", cmaf, old)
    problems = verify_recording(object_store, "rec-cmaf-lie").problems
    assert any("cam/init.mp4" in p and "does not declare 'cmfc'" in p for p in problems), problems
    assert any("cam/init.mp4" in p and "holds 2 tracks" in p for p in problems), problems
    assert any("cam/00000001.m4s" in p and "does not start with a styp box" in p for p in problems), problems
    # the same bytes under the old declaration are an old-format recording: nothing to report
    legacy = StreamDeclaration(name="cam", source="synthetic:", video=_VIDEO, audio=None)
    _journal_recording(object_store, tmp_path / "legacy", "rec-legacy", legacy, old)
    assert verify_recording(object_store, "rec-legacy").intact


def test_a_cmaf_declaration_holds_one_track() -> None:
    sound = AudioDeclaration(sample_rate=48000, channels=1, codec="aac")
    with pytest.raises(ValueError, match="one track"):
        StreamDeclaration(name="cam", source="synthetic:", video=_VIDEO, audio=sound, format=CMAF_TRACK_FILE)
    with pytest.raises(ValueError, match="'format'"):
        StreamDeclaration(name="cam", source="synthetic:", video=_VIDEO, audio=None, format="mp4")
