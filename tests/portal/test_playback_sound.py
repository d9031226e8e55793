"""Which sound plays with which picture (pure functions of the journal's declarations): a camera's own
sound track first, then the microphones; a legacy camera whose file holds its sound plays alone."""

from __future__ import annotations

from archive.export import RecordingTracks, StreamTrack
from archive.export.playlist import PlaylistSegment
from archive.journal import CMAF_TRACK_FILE, AudioDeclaration, StreamDeclaration, VideoDeclaration
from portal.review.playback import cameras, microphone_channels, multivariant_playlist, sound_for

_VIDEO = VideoDeclaration(width=320, height=240, fps="15", codec="h264")
_SOUND = AudioDeclaration(sample_rate=48000, channels=1, codec="aac")


def _track(name: str, *, video: bool, audio: bool, cmaf: bool = True) -> StreamTrack:
    declaration = StreamDeclaration(
        name=name,
        source="synthetic:",
        video=_VIDEO if video else None,
        audio=_SOUND if audio else None,
        format=CMAF_TRACK_FILE if cmaf else None,
    )
    segment = PlaylistSegment(name, 1, f"{name}/00000001.m4s", f"{name}/init.mp4", 2.0, "0" * 64)
    return StreamTrack(name, (segment,), declaration)


def _recording(*tracks: StreamTrack) -> RecordingTracks:
    return RecordingTracks("rec-1", "recordings/c/2026/01/01/rec-1", {t.stream: t for t in tracks}, True)


def test_a_camera_plays_its_own_sound_first_then_the_microphones() -> None:
    recording = _recording(
        _track("a-mic", video=False, audio=True),
        _track("wide", video=True, audio=False),
        _track("wide.audio", video=False, audio=True),
        _track("bench", video=True, audio=False),
        _track("bench.audio", video=False, audio=True),
    )
    assert cameras(recording) == ["bench", "wide"]  # sound tracks are no cameras
    bench = recording.tracks["bench"]
    assert [t.stream for t in sound_for(recording, bench)] == ["bench.audio", "a-mic", "wide.audio"]
    assert sound_for(recording, recording.tracks["wide"])[0].stream == "wide.audio"
    text = multivariant_playlist("/r", bench, sound_for(recording, bench))
    first = next(line for line in text.splitlines() if line.startswith("#EXT-X-MEDIA"))
    assert 'NAME="bench.audio"' in first and "DEFAULT=YES" in first


def test_a_legacy_camera_with_its_sound_in_one_file_plays_alone() -> None:
    legacy = _track("cam", video=True, audio=True, cmaf=False)
    recording = _recording(legacy, _track("mic", video=False, audio=True, cmaf=False))
    assert sound_for(recording, legacy) == []


def _with_mix(*tracks: StreamTrack) -> RecordingTracks:
    return _recording(
        *tracks,
        _track("mic-1", video=False, audio=True),
        _track("mic-2", video=False, audio=True),
        _track("mix", video=False, audio=True),
    )


def test_where_microphones_were_mixed_the_mix_plays_first_and_each_microphone_is_a_channel() -> None:
    recording = _with_mix(_track("bench", video=True, audio=False))
    bench = recording.tracks["bench"]
    assert [t.stream for t in sound_for(recording, bench)] == ["mix", "mic-1", "mic-2"]
    assert [t.stream for t in microphone_channels(recording, bench)] == ["mic-1", "mic-2"]
    text = multivariant_playlist("/r", bench, sound_for(recording, bench))
    first = next(line for line in text.splitlines() if line.startswith("#EXT-X-MEDIA"))
    assert 'NAME="mix"' in first and "DEFAULT=YES" in first  # what a simple player plays


def test_microphones_only_play_their_mix_by_default_with_each_a_channel() -> None:
    recording = _with_mix()
    assert cameras(recording) == ["mix", "mic-1", "mic-2"]
    assert [t.stream for t in microphone_channels(recording, recording.tracks["mix"])] == ["mic-1", "mic-2"]
    assert microphone_channels(recording, recording.tracks["mic-1"]) == []  # one microphone chosen alone


def test_without_a_mix_there_are_no_channels() -> None:
    recording = _recording(
        _track("bench", video=True, audio=False),
        _track("mic-1", video=False, audio=True),
        _track("mic-2", video=False, audio=True),
    )
    assert microphone_channels(recording, recording.tracks["bench"]) == []  # one choice of sound, as before
