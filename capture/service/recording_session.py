"""What the courtroom service needs of a recording, and who is told when one starts or stops."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from archive.export import RecordingSummary
from archive.journal import ClerkEvent, JournalEvent, PauseReason
from capture.recording.mix.mic_mix import MicrophoneMix
from capture.recording.recorder import RecorderHealth, RecordingPlan
from capture.recording.stream.stream_pipeline import StreamPipeline


class RecordingSession(Protocol):
    """What the service needs of a recording (:class:`~capture.recording.recorder.Recorder` is one)."""

    def start(self) -> None: ...

    def stop(self, reason: str = ..., *, drain_seconds: float = ...) -> None: ...

    def summary(self) -> RecordingSummary: ...

    def health(self) -> RecorderHealth: ...

    def journal_event(self, event: JournalEvent) -> None: ...

    def pause(self, reason: str, *, code: PauseReason | None = ..., by: str | None = ...) -> None: ...

    def resume(self, reason: str = ..., *, by: str | None = ...) -> None: ...

    def journal_clerk_event(self, event: ClerkEvent) -> None: ...

    @property
    def pipelines(self) -> list[StreamPipeline]: ...

    @property
    def mix(self) -> MicrophoneMix | None: ...


RecordingWatcher = Callable[[str, RecordingSession], None]
"""Told of each recording the service starts (``"started"``) and of each it is about to stop
(``"stopping"``), from the service's thread: e.g. the live publishers follow the recording in progress."""
RecorderFactory = Callable[[RecordingPlan], RecordingSession]
