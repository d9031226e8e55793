"""Cutting one encoder's output into CMAF segments: exact boundaries, keyframe starts, sealed files."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from archive.formats import complete_fragments_length, iter_boxes, sha256_file
from archive.spool import SealedFile
from capture.recording.stream.encoder import VideoEncoderConfig, VideoEncoderName, open_video_encoder
from capture.recording.stream.segmenter import CmafSegmenter, SegmentInfo

FPS = 15


def _record(
    directory: Path, seconds: int, segment_seconds: float, chunk_us: str | None = None
) -> tuple[bytes, list[tuple[SealedFile, SegmentInfo]]]:
    inits: list[bytes] = []
    sealed: list[tuple[SealedFile, SegmentInfo]] = []
    segmenter = CmafSegmenter(
        directory,
        first_seq=1,
        segment_seconds=segment_seconds,
        on_init=inits.append,
        on_segment=lambda s, i: sealed.append((s, i)),
    )
    encoder = open_video_encoder(VideoEncoderConfig(width=320, height=240, fps=Fraction(FPS)))
    options = {
        "movflags": "frag_keyframe+empty_moov+default_base_moof+delay_moov+skip_trailer",
        "flush_packets": "1",
    }
    if chunk_us is not None:
        options["frag_duration"] = chunk_us
    with av.open(segmenter, "w", format="mp4", options=options) as container:
        stream = container.add_mux_stream("h264", rate=FPS, width=320, height=240, time_base=Fraction(1, FPS))
        for index in range(seconds * FPS + 1):
            plane = np.full((360, 320), 16 + index % 200, dtype=np.uint8)
            frame = None if index == seconds * FPS else av.VideoFrame.from_ndarray(plane, format="yuv420p")
            if frame is not None:
                frame.pts, frame.time_base = index, Fraction(1, FPS)
            for packet in encoder.encode(frame):
                assert bytes(packet)[:4] == b"\x00\x00\x00\x01"  # Annex-B, shareable with WebRTC
                packet.stream = stream
                container.mux(packet)
    segmenter.finish(float(seconds))
    assert len(inits) == 1
    return inits[0], sealed


@pytest.mark.parametrize(
    ("chunk_us", "fragments_per_second"),
    [(None, 1), ("200000", 5)],  # one fragment per GOP (older recordings); ~200 ms CMAF chunks
    ids=["gop-fragments", "cmaf-chunks"],
)
def test_segments_cut_on_the_boundary_and_decode_alone(
    tmp_path: Path, chunk_us: str | None, fragments_per_second: int
) -> None:
    # 5.9 s: a chunk starts at 5.8 s, inside the cut tolerance but mid-GOP; the cut waits for 6.0
    init, sealed = _record(tmp_path, seconds=14, segment_seconds=5.9, chunk_us=chunk_us)
    spans = [(info.seq, info.start_seconds, info.end_seconds) for _, info in sealed]
    assert spans == [(1, 0.0, 6.0), (2, 6.0, 12.0), (3, 12.0, 14.0)]
    first = sealed[0][0].path.read_bytes()
    assert sum(1 for b in iter_boxes(first) if b.type == b"moof") == 6 * fragments_per_second
    assert not list(tmp_path.glob("*.tmp"))
    for file, info in sealed:
        assert file.path.name == f"{info.seq:08d}.m4s"
        assert file.sha256 == sha256_file(file.path)
        with av.open(io.BytesIO(init + file.path.read_bytes())) as container:
            frames = list(container.decode(video=0))
        assert frames[0].key_frame
        assert len(frames) == round((info.end_seconds - info.start_seconds) * FPS)


def test_torn_fragment_is_not_part_of_the_decodable_prefix(tmp_path: Path) -> None:
    _, sealed = _record(tmp_path, seconds=3, segment_seconds=6)
    data = sealed[0][0].path.read_bytes()
    assert complete_fragments_length(data) == len(data)
    cut = data[: len(data) - 100]
    good = complete_fragments_length(cut)
    assert 0 < good < len(cut)
    assert complete_fragments_length(data[:good]) == good


@pytest.mark.parametrize("encoder", [VideoEncoderName.AUTO, VideoEncoderName.VAAPI])
def test_missing_hardware_encoder_falls_back_to_libx264(encoder: VideoEncoderName) -> None:
    context = open_video_encoder(
        VideoEncoderConfig(width=320, height=240, fps=Fraction(FPS), encoder=encoder)
    )
    assert context.name == "libx264"  # this machine has no GPU: the probe must fall back, not fail
