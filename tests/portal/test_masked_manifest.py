"""The manifest of a masked replay rendition: what it vouches for, and what it refuses to read."""

from __future__ import annotations

import json

import pytest

from portal.replays.masked_rendition import MaskedManifest, masked_key

A, B = "a" * 64, "b" * 64


def _manifest() -> MaskedManifest:
    return MaskedManifest("rec-1", "bench-cam", {"init.mp4": A, "00000001.m4s": B}, {"00000001.m4s": A})


def test_a_manifest_round_trips_and_covers_only_the_segment_it_was_made_from() -> None:
    manifest = MaskedManifest.parse(_manifest().to_bytes(), recording_id="rec-1", stream="bench-cam")
    assert manifest == _manifest()
    assert manifest.covers("00000001.m4s", A)
    assert not manifest.covers("00000001.m4s", B)  # the archived segment is not the one masked
    assert not manifest.covers("00000002.m4s", A)
    assert masked_key("rec-1", "bench-cam", "manifest.json") == "replays-masked/rec-1/bench-cam/manifest.json"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"recording_id": "rec-2"}, "not that of rec-1/bench-cam"),
        ({"stream": "wide-cam"}, "not that of rec-1/bench-cam"),
        ({"format": 2}, "not format 1"),
        ({"objects": {"00000001.m4s": B}}, "SHA-256 maps"),  # no init segment
        ({"objects": {"init.mp4": "abc"}}, "SHA-256 maps"),
        ({"sources": ["00000001.m4s"]}, "SHA-256 maps"),
    ],
)
def test_a_manifest_that_is_not_this_renditions_is_refused(change: dict[str, object], message: str) -> None:
    record = json.loads(_manifest().to_bytes()) | change
    with pytest.raises(ValueError, match=message):
        MaskedManifest.parse(json.dumps(record).encode(), recording_id="rec-1", stream="bench-cam")


def test_a_manifest_that_is_not_json_is_refused() -> None:
    with pytest.raises(ValueError, match="not JSON"):
        MaskedManifest.parse(b"{", recording_id="rec-1", stream="bench-cam")
