"""The one HLS media-playlist renderer of the archive's VOD playlists and the public live playlists."""

from __future__ import annotations

import pytest

from archive.formats.hls import MediaEntry, render_media_playlist, target_duration


def entry(n: int, duration: float = 2.0, *, init: str = "init.mp4", cut: bool = False) -> MediaEntry:
    return MediaEntry(uri=f"{n:08d}.m4s", init_uri=init, duration=duration, discontinuity=cut)


def test_a_live_playlist_has_a_discontinuity_sequence_and_no_end_until_ended() -> None:
    entries = [entry(7), entry(8, init="init-run002.mp4", cut=True)]
    text = render_media_playlist(entries, media_sequence=7, target_seconds=2, discontinuity_sequence=3)
    lines = text.splitlines()
    assert lines[:6] == [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        "#EXT-X-TARGETDURATION:2",
        "#EXT-X-MEDIA-SEQUENCE:7",
        "#EXT-X-DISCONTINUITY-SEQUENCE:3",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    assert lines.index("#EXT-X-DISCONTINUITY") < lines.index('#EXT-X-MAP:URI="init-run002.mp4"')
    assert "#EXT-X-ENDLIST" not in lines and "#EXT-X-PLAYLIST-TYPE:VOD" not in lines
    ended = render_media_playlist(entries, media_sequence=7, target_seconds=2, ended=True)
    assert ended.endswith("#EXT-X-ENDLIST\n")


def test_a_vod_playlist_is_typed_and_always_ended_and_maps_each_init_once() -> None:
    text = render_media_playlist([entry(1), entry(2), entry(3)], media_sequence=1, target_seconds=2, vod=True)
    assert "#EXT-X-PLAYLIST-TYPE:VOD\n" in text
    assert text.count("#EXT-X-MAP:") == 1
    assert text.count("#EXTINF:2.000000,") == 3
    assert text.endswith("#EXT-X-ENDLIST\n")


def test_the_target_duration_rounds_every_segment_up_and_has_a_floor() -> None:
    assert target_duration([entry(1, 2.2), entry(2, 1.0)]) == 3
    assert target_duration([entry(1, 0.4)]) == 1
    assert target_duration([], at_least=6) == 6


@pytest.mark.parametrize("uri", ['a"b', "a\nb", "a\r\n#EXT-X-ENDLIST"])
def test_a_uri_that_could_break_the_playlist_is_refused(uri: str) -> None:
    with pytest.raises(ValueError, match="quotes or line breaks"):
        MediaEntry(uri=uri, init_uri="init.mp4", duration=1.0)


def test_a_negative_or_infinite_duration_is_refused() -> None:
    for bad in (-1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="duration"):
            MediaEntry(uri="1.m4s", init_uri="init.mp4", duration=bad)
