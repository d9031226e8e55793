"""Which sound a replay plays (issue 13 item 1): the courtroom's microphones' mix when the recording has
one, else the configured microphone, else the recording's only microphone, else the camera's own
sound; a camera's ``.audio`` track is never taken for a microphone, and an audio-only recording plays
its sound alone. Unit test on journal-shaped tracks (the choice is pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from archive.export import PlaylistSegment, RecordingTracks, StreamTrack
from archive.journal.stream_declaration import AudioDeclaration, StreamDeclaration, VideoDeclaration
from portal.replays.policy import ReplayWindow, Span
from portal.replays.replay_tracks import multivariant_playlist, replay_tracks

T0 = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
WINDOW = ReplayWindow(1, 1, ("rec",), Span(T0, T0 + timedelta(hours=1)), ())
PICTURE = VideoDeclaration(320, 240, "15", "h264")
SOUND = AudioDeclaration(48000, 1, "aac")


def _track(name: str, *, video: bool, audio: bool) -> StreamTrack:
    segment = PlaylistSegment(
        name, 1, f"{name}/00000001.m4s", f"{name}/init.mp4", 2.0, "0" * 64,
        started_at=T0, ended_at=T0 + timedelta(seconds=2),
    )  # fmt: skip
    declaration = StreamDeclaration(name, "synthetic", PICTURE if video else None, SOUND if audio else None)
    return StreamTrack(name, (segment,), declaration)


def _recording(*names: str) -> RecordingTracks:
    tracks = {
        name: _track(name, video="cam" in name and "." not in name, audio="cam" not in name or "." in name)
        for name in names
    }
    return RecordingTracks("rec", "room-a/rec", tracks, finished=True)


@pytest.mark.parametrize(
    ("streams", "configured", "heard"),
    [
        (("bench-cam", "wide-cam", "mic-1", "mic-2", "mix"), "mic-1", "mix"),
        (("bench-cam", "mic-1", "mic-2"), "mic-2", "mic-2"),
        (("bench-cam", "mic-3"), "mic-1", "mic-3"),  # one microphone: that one, whatever it is called
        (("bench-cam", "mic-2", "mic-3"), "mic-1", None),  # two, neither configured: no guess
        (("bench-cam", "bench-cam.audio", "mic-2"), "mic-1", "mic-2"),  # the camera's sound is no mic
        (("bench-cam", "bench-cam.audio"), "mic-1", None),
        (("bench-cam", "mic-1", "mix"), "", None),  # configured "": always the camera's own sound
    ],
)
def test_the_replay_plays_the_mix_else_the_configured_else_the_only_microphone(
    streams: tuple[str, ...], configured: str, heard: str | None
) -> None:
    replay = replay_tracks(_recording(*streams), WINDOW, picture_stream="bench-cam", sound_stream=configured)
    assert replay.picture is not None and replay.picture.stream == "bench-cam"
    assert (replay.sound.stream if replay.sound else None) == heard
    master = multivariant_playlist("/r", replay)
    assert (f"stream={heard}" in master) is (heard is not None)


def test_an_audio_only_recording_plays_its_mix_alone() -> None:
    replay = replay_tracks(
        _recording("mic-1", "mic-2", "mix"), WINDOW, picture_stream="bench-cam", sound_stream="mic-1"
    )
    assert replay.picture is None and replay.main is not None and replay.main.stream == "mix"
    assert replay.object_key("mix", "00000001.m4s") == "room-a/rec/mix/00000001.m4s"
    assert replay.object_key("mic-1", "00000001.m4s") is None  # only what the replay plays is served
