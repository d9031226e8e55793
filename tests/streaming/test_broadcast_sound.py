"""A broadcast whose sound comes from another feed (the courtroom's microphone): its audio is the
microphone's while that feed is attached, and it keeps an audio track (silence) when the microphone
goes away, after a discontinuity — the picture goes on. The room's microphones' mix, while published,
sounds instead of the microphone."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import av
import numpy as np

from streaming.public.broadcast import PublicBroadcast
from streaming.public.broadcasts import PublicBroadcasts
from streaming.public.delay_line import DelayLine
from streaming.public.segment_publisher import DirectoryPublisher
from streaming.settings import StreamingSettings
from tests.waiting import wait_until

from .test_packager import _relayed_media
from .test_public_names import _Feed, _no_masking
from .test_resume_after_cut import _StorePublisher

VIDEO, AUDIO = frozenset({"video"}), frozenset({"audio"})


def _level(init: bytes, segment: bytes) -> float:
    with av.open(io.BytesIO(init + segment)) as container:
        assert container.streams.video and container.streams.audio
        samples = np.concatenate([frame.to_ndarray()[0] for frame in container.decode(audio=0)])
    return float(np.sqrt(np.mean(samples**2)))


def test_the_microphone_sounds_while_attached_and_silence_keeps_the_track_after() -> None:
    picture = [dataclasses.replace(p, feed_kinds=VIDEO) for p in _relayed_media(8, audio=False)]
    sound = [dataclasses.replace(p, feed_kinds=AUDIO) for p in _relayed_media(8, video=False)]
    store = _StorePublisher()
    broadcast = PublicBroadcast(
        "court-1/cam", "b1", store, DelayLine(0.0, 60, 2), segment_seconds=1.0, sound_feed_id="court-1/mic"
    )
    broadcast.start()
    try:
        broadcast.sound_attached(True)
        for packet in sorted([*picture, *sound], key=lambda p: p.arrival):
            if packet.arrival >= 4.0:
                break
            (broadcast.sound_input.accept if packet.feed_kinds == AUDIO else broadcast.accept)(packet)
        wait_until(lambda: broadcast.segments_published >= 2, 10, "segments with the microphone")
        wait_until(lambda: broadcast.queued_packets == 0, 10, "the packets to be taken")
        with_microphone = broadcast.segments_published
        broadcast.sound_attached(False)  # the microphone's feed went away: the camera has no sound
        for packet in picture:
            if packet.arrival >= 4.0:
                broadcast.accept(packet)
        wait_until(lambda: broadcast.segments_published >= with_microphone + 2, 10, "segments after it")
    finally:
        assert broadcast.stop()
    first, last = store.order[0], store.order[-1]
    assert first.rsplit("/", 1)[1].startswith("0001-") and last.rsplit("/", 1)[1].startswith("0002-")
    prefix = "court-1/cam/b1"
    assert _level(store.files[f"{prefix}/init-0001.mp4"], store.files[first]) > 0.1  # the microphone's tone
    assert _level(store.files[f"{prefix}/init-0002.mp4"], store.files[last]) < 0.01  # silence, still a track


async def test_the_rooms_mix_sounds_while_published_else_the_configured_microphone(tmp_path: Path) -> None:
    settings = StreamingSettings(public_dir=tmp_path, broadcast_delay_seconds=0, hls_segment_seconds=1.0)
    public = PublicBroadcasts(settings, DirectoryPublisher(tmp_path), mask_factory=_no_masking)
    microphone, mix = _Feed("court-1/mic-1"), _Feed("court-1/mix")
    other_rooms_mix = _Feed("court-2/mix")
    try:
        public.open("court-1/cam", None, sound_feed_id="court-1/mic-1", sound_feeds=[microphone])  # type: ignore[list-item]
        assert len(microphone.sinks) == 1 and not mix.sinks
        for feed in (mix, other_rooms_mix):
            public.attach(feed)  # type: ignore[arg-type]  # the part of a Feed a broadcast uses
        assert not microphone.sinks and len(mix.sinks) == 1 and not other_rooms_mix.sinks
        public.detach(microphone)  # type: ignore[arg-type]
        assert len(mix.sinks) == 1
        public.attach(microphone)  # type: ignore[arg-type]
        public.detach(mix)  # type: ignore[arg-type]  # the mix stopped: the configured microphone again
        assert len(microphone.sinks) == 1 and not mix.sinks
        public.detach(microphone)  # type: ignore[arg-type]  # neither: the camera's own sound
        assert not microphone.sinks and not mix.sinks

        public.open("court-2/cam", None)  # no sound feed configured: never the mix either
        public.attach(other_rooms_mix)  # type: ignore[arg-type]
        assert not other_rooms_mix.sinks
    finally:
        await public.aclose()
