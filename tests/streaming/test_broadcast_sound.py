"""A broadcast whose sound comes from another feed (the courtroom's microphone): its audio is the
microphone's while that feed is attached, and it keeps an audio track (silence) when the microphone
goes away, after a discontinuity — the picture goes on."""

from __future__ import annotations

import dataclasses
import io

import av
import numpy as np

from streaming.public.broadcast import PublicBroadcast
from streaming.public.delay_line import DelayLine
from tests.waiting import wait_until

from .test_packager import _relayed_media
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
