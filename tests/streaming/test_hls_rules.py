"""The independent live-playlist checker catches what RFC 8216 forbids (so the tests that use it
can fail), and accepts our renderer's live playlists."""

from __future__ import annotations

import pytest

from streaming.public.delay_line import DelayLine, ProducedSegment

from .hls_rules import LivePlaylistHistory, PlaylistRuleError, check_multivariant


def _playlist(
    sequence: int, segments: list[tuple[str, float, bool]], *, target: int = 2, dseq: int = 0
) -> str:
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", f"#EXT-X-TARGETDURATION:{target}"]
    lines += [f"#EXT-X-MEDIA-SEQUENCE:{sequence}", f"#EXT-X-DISCONTINUITY-SEQUENCE:{dseq}"]
    lines.append('#EXT-X-MAP:URI="init-0001.mp4"')
    for uri, duration, discontinuity in segments:
        if discontinuity:
            lines.append("#EXT-X-DISCONTINUITY")
        lines += [f"#EXTINF:{duration:.3f},", uri]
    return "\n".join(lines) + "\n"


A, B, C, D = ("a.m4s", 2.0, False), ("b.m4s", 2.0, False), ("c.m4s", 2.0, True), ("d.m4s", 2.0, False)


def test_a_sliding_live_window_passes() -> None:
    history = LivePlaylistHistory()
    history.check(_playlist(1, [A, B, C]))
    history.check(_playlist(1, [A, B, C, D]))
    history.check(_playlist(2, [B, C, D]))
    history.check(_playlist(3, [C, D, ("e.m4s", 2.0, False)], dseq=0))
    history.check(_playlist(4, [D, ("e.m4s", 2.0, False), ("f.m4s", 2.0, False)], dseq=1))


@pytest.mark.parametrize(
    ("second", "rule"),
    [
        (_playlist(1, [A, B, C, D], target=3), "TARGETDURATION changed"),
        (_playlist(1, [A, B, C, ("d.m4s", 2.6, False)]), "longer than the target"),
        (_playlist(1, [B, A, C, D]), "media sequence 1 was a.m4s"),
        (_playlist(2, [A, C, D]), "media sequence 2 was b.m4s"),
        (_playlist(3, [C, D]), "three target durations"),
        (_playlist(1, [A, B, C]) + "#EXT-X-ENDLIST\n", "ENDLIST in a playlist that goes on"),
        (_playlist(0, [("z.m4s", 2.0, False), A, B, C]), "MEDIA-SEQUENCE went back"),
        (
            _playlist(4, [D, ("e.m4s", 2.0, False), ("f.m4s", 2.0, False)], dseq=0),
            "DISCONTINUITY-SEQUENCE is 0",
        ),
    ],
)
def test_a_broken_revision_is_named(second: str, rule: str) -> None:
    history = LivePlaylistHistory()
    history.check(_playlist(1, [A, B, C]))
    with pytest.raises(PlaylistRuleError, match=rule):
        history.check(second)


def test_our_delay_line_playlists_pass_through_a_cut_and_resume() -> None:
    line = DelayLine(delay_seconds=0, window_segments=3, target_seconds=2)
    history = LivePlaylistHistory()
    history.check(line.playlist())
    serial = 0
    for generation, init in ((1, 1), (2, 2), (3, 3)):
        for _ in range(5):
            serial += 1
            line.record(
                ProducedSegment(generation, b"x", 1.6, 0.0, init),
                f"{init:04d}-{serial:06d}.m4s",
                f"init-{init:04d}.mp4",
            )
            history.check(line.playlist())
        line.cut()
        history.check(line.playlist())  # live through the cut
        line.resume()
    assert len(history.discontinuities_seen) == 2
    line.end()
    history.check(line.playlist(), live=False)
    assert history.ended


def test_a_multivariant_playlist_needs_codecs_and_resolution() -> None:
    good = (
        "#EXTM3U\n"
        '#EXT-X-STREAM-INF:BANDWIDTH=90000,CODECS="avc1.42c00d,mp4a.40.2",RESOLUTION=320x240\n'
        "live.m3u8\n"
    )
    (variant,) = check_multivariant(good)
    assert variant.codecs == ["avc1.42c00d", "mp4a.40.2"] and variant.resolution == (320, 240)
    with pytest.raises(PlaylistRuleError, match="without RESOLUTION"):
        check_multivariant('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=9,CODECS="avc1.42c00d"\nlive.m3u8\n')
    with pytest.raises(PlaylistRuleError, match="CODECS are required"):
        check_multivariant("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=9\nlive.m3u8\n")
