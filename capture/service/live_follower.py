"""Publishes each recording of the courtroom service live (WHIP), from the recorder's own packets:
publishers start with a recording and stop before it stops (``capture serve --live``). Between
hearings nothing is published (there is no recording to publish from). Each recording is published
with its hearing's case number (the wall's label), not the one the service was started with."""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from typing import TYPE_CHECKING

from capture.live import LiveTarget, start_live, stop_live
from capture.service.recording_session import RecordingSession

if TYPE_CHECKING:
    from streaming.ice import IcePolicy
    from streaming.publisher import LivePublisher

logger = logging.getLogger(__name__)


class LiveFollower:
    """A :data:`~capture.service.recording_session.RecordingWatcher` publishing to ``target``."""

    def __init__(self, target: LiveTarget, policy: IcePolicy) -> None:
        self._target = target
        self._policy = policy
        self._lock = threading.Lock()
        self._publishers: dict[int, list[LivePublisher]] = {}

    def target_for(self, recording: RecordingSession) -> LiveTarget:
        """Where and as whom ``recording`` is published: with its hearing's case number."""
        return replace(self._target, case=recording.summary().case or self._target.case)

    def __call__(self, event: str, recording: RecordingSession) -> None:
        if event == "started":
            target = self.target_for(recording)
            publishers = start_live(recording.pipelines, target, self._policy, mix=recording.mix)
            with self._lock:
                self._publishers[id(recording)] = publishers
        elif event == "stopping":
            with self._lock:
                publishers = self._publishers.pop(id(recording), [])
            stop_live(publishers)
