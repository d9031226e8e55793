"""No public name is ever published twice: segments are cached as immutable for an hour, so a reopened
feed or a cut and resume must never put other bytes under a name a CDN or browser may still hold."""

from __future__ import annotations

from pathlib import Path

from streaming.public.broadcasts import PublicBroadcasts
from streaming.public.packager import VideoTransform
from streaming.public.segment_publisher import DirectoryPublisher
from streaming.relayed import FeedSink, RelayedPacket
from streaming.settings import StreamingSettings

from .publishers import FlakyPublisher, eventually, relayed_video

FEED = "court-1/cam"
IMMUTABLE = (".mp4", ".m4s")


class _Feed:
    """What a broadcast uses of a live feed: its sinks (fed by the test) and keyframe requests."""

    def __init__(self, feed_id: str) -> None:
        self.feed_id = feed_id
        self.sinks: list[FeedSink] = []

    def add_sink(self, sink: FeedSink) -> None:
        self.sinks.append(sink)

    def remove_sink(self, sink: FeedSink) -> None:
        self.sinks.remove(sink)

    def request_keyframe(self) -> None:
        pass  # every batch the test sends starts with a keyframe

    def send(self, packets: list[RelayedPacket]) -> None:
        for sink in self.sinks:
            for packet in packets:
                sink.accept(packet)


def _no_masking() -> VideoTransform:
    raise AssertionError("not masked")


def _segments(store: FlakyPublisher, directory: str) -> list[str]:
    return [n for n in store.published() if n.startswith(f"{directory}/") and n.endswith(".m4s")]


def _broadcasts(tmp_path: Path) -> tuple[FlakyPublisher, PublicBroadcasts, _Feed]:
    """Public broadcasts into ``tmp_path`` (no delay, 1-s segments, 3 in the window) and one feed."""
    store = FlakyPublisher(DirectoryPublisher(tmp_path))
    settings = StreamingSettings(
        public_dir=tmp_path, broadcast_delay_seconds=0, hls_segment_seconds=1.0, hls_window_segments=3
    )
    return store, PublicBroadcasts(settings, store, mask_factory=_no_masking), _Feed(FEED)


async def test_a_reopened_feed_and_a_cut_within_a_broadcast_never_reuse_a_name(tmp_path: Path) -> None:
    store, public, feed = _broadcasts(tmp_path)
    try:
        public.open(FEED, feed)  # type: ignore[arg-type]  # the part of a Feed a broadcast uses
        first = public.media_path(FEED)
        feed.send(relayed_video(4))
        await eventually(lambda: len(_segments(store, first)) >= 2, "segments of the first broadcast")
        public.cut(FEED)
        public.resume(FEED)
        feed.send(relayed_video(4))  # a new packager after the cut: timestamps from zero again
        await eventually(lambda: f"{first}/init-0002.mp4" in store.published(), "the second init segment")
        await eventually(
            lambda: any("0002-" in n for n in _segments(store, first)), "segments after the resume"
        )
        playlist = tmp_path / first / "live.m3u8"  # rewritten just after each segment is published
        await eventually(
            lambda: 'URI="init-0002.mp4"' in playlist.read_text(), "the playlist listing the resumed part"
        )
        assert "#EXT-X-DISCONTINUITY\n" in playlist.read_text()
        await public.close(FEED)

        public.open(FEED, feed)  # type: ignore[arg-type]  # the next public hearing, same courtroom
        second = public.media_path(FEED)
        feed.send(relayed_video(4))
        await eventually(lambda: len(_segments(store, second)) >= 2, "segments of the second broadcast")
        assert (tmp_path / second / "init-0001.mp4").exists()  # numbering starts afresh, in a new directory
        await public.close(FEED)
    finally:
        await public.aclose()

    published = store.published()
    of_first = {n for n in published if n.startswith(f"{first}/")}
    of_second = {n for n in published if n.startswith(f"{second}/")}
    assert of_first and of_second and not of_first & of_second
    assert of_first | of_second == set(published)  # nothing published outside the two directories
    immutable = [n for n in published if n.endswith(IMMUTABLE)]
    assert len(immutable) == len(set(immutable))  # every init and media segment published exactly once
    assert store.inner.list_names() == []  # both withdrawn


async def test_a_broadcast_opened_cut_publishes_nothing_until_resumed(tmp_path: Path) -> None:
    store, public, feed = _broadcasts(tmp_path)
    try:
        public.open(FEED, feed, cut=True)  # type: ignore[arg-type]  # a sealed courtroom's hearing
        directory = public.media_path(FEED)
        state = public.state(FEED)
        assert state is not None and state.state == "cut"
        feed.send(relayed_video(4))  # pictures while cut: taken by the broadcast, never published
        broadcast = public._broadcasts[FEED]
        await eventually(lambda: broadcast.queued_packets == 0, "the pictures sent while cut taken")
        assert _segments(store, directory) == [] and f"{directory}/init-0001.mp4" not in store.published()
        public.resume(FEED)
        feed.send(relayed_video(4))
        await eventually(lambda: len(_segments(store, directory)) >= 2, "segments after the resume")
    finally:
        await public.aclose()
