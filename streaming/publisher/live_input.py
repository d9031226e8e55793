"""What a publisher takes from the agent: encoded video packets, audio frames, a keyframe lever, telemetry.

These are structural types so the agent's own classes fit without streaming importing capture:
``capture.EncodedVideoPacket`` is an :class:`EncodedVideo`, and its tap subscriptions
(``queue.Queue``) are :class:`PacketQueue` / :class:`FrameQueue`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

import av

from streaming.telemetry import TelemetryReport


class EncodedVideo(Protocol):
    """One Annex-B H.264 access unit (SPS/PPS in-band on keyframes)."""

    @property
    def data(self) -> bytes: ...

    @property
    def pts(self) -> int: ...

    @property
    def time_base(self) -> Fraction: ...

    @property
    def keyframe(self) -> bool: ...


class PacketQueue(Protocol):
    """A blocking source of encoded video (``queue.Queue.get``; raises ``queue.Empty`` on timeout)."""

    def get(self, block: bool = True, timeout: float | None = None) -> EncodedVideo: ...


class FrameQueue(Protocol):
    """A blocking source of audio frames, which the consumer must only read."""

    def get(self, block: bool = True, timeout: float | None = None) -> av.AudioFrame: ...


@dataclass(frozen=True, slots=True)
class LiveInput:
    """Everything one published stream draws on; callables must be thread-safe and never block.

    A stream has video, audio or both; an audio-only stream (a courtroom microphone) is published
    with an Opus track alone. Raises ValueError when neither is given.
    """

    video: PacketQueue | None
    audio: FrameQueue | None
    request_keyframe: Callable[[], None]
    telemetry: Callable[[], TelemetryReport] | None = None

    def __post_init__(self) -> None:
        if self.video is None and self.audio is None:
            raise ValueError("a LiveInput needs 'video', 'audio' or both (got neither)")

    @property
    def kinds(self) -> frozenset[str]:
        """The media kinds published: ``video`` and/or ``audio``."""
        return frozenset(
            kind for kind, source in (("video", self.video), ("audio", self.audio)) if source is not None
        )
