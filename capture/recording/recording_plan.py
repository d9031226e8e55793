"""What a recording is asked to do (its plan), the names of its streams, and how its sources are
declared in the journal's start event and reopened after a failure."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from archive import ArchiveError
from archive.formats import check_identifier, check_source_name, track_streams
from archive.journal import CMAF_TRACK_FILE, AudioDeclaration, StreamDeclaration, VideoDeclaration
from archive.spool.uploader import DEFAULT_MISMATCH_WINDOW_SECONDS
from capture.errors import RecorderError
from capture.recording.stream.stream_settings import StreamSettings
from devices import PositionSpec, Source, SourceSpec, open_source


@dataclass(frozen=True, slots=True)
class RecordingPlan:
    """Everything a recording needs to start."""

    recording_id: str
    court: str
    room: str
    device_id: str
    spool: Path
    sources: Sequence[SourceSpec]
    case: str | None = None
    hearing: str | None = None  # the portal's hearing id, when the courtroom service records by schedule
    room_name: str | None = None  # the courtroom's name people read (the caption), e.g. 第一法庭
    checkpoint_seconds: float = 60.0
    key_path: Path | None = None
    stream: StreamSettings = field(default_factory=StreamSettings)
    upload_mismatch_window_seconds: float = DEFAULT_MISMATCH_WINDOW_SECONDS
    disk_alarm_hours: float = 2.0  # the disk_low alarm: less than this much recording left on the spool
    opening_reason: str = "hearing opened"  # the first start's reason (a body camera: its activation)
    position: PositionSpec | None = None  # --gps: the track is recorded as the stream ``gps``

    def __post_init__(self) -> None:
        try:
            check_identifier(self.recording_id, what="recording id")
            check_identifier(self.court, what="court")
            check_identifier(self.device_id, what="device id")
        except ArchiveError as exc:
            raise RecorderError(str(exc)) from exc
        if not self.sources:
            raise RecorderError("at least one --source is needed")
        if not self.disk_alarm_hours > 0:
            raise RecorderError(f"--disk-alarm-hours must be more than 0 (got {self.disk_alarm_hours})")


def stream_names(sources: Sequence[SourceSpec]) -> list[str]:
    """Each source's name: its ``name=`` option, else ``<kind>-<n>``; names must be unique. A source's
    streams are named after it (its sound is ``<name>.audio`` when it also has pictures)."""
    names = [spec.name or f"{spec.kind}-{index}" for index, spec in enumerate(sources, start=1)]
    if len(set(names)) != len(names):
        raise RecorderError(f"stream names must be unique (got {', '.join(names)}); set name= on each source")
    for name in names:
        try:
            check_source_name(name)
        except ArchiveError as exc:
            raise RecorderError(str(exc)) from exc
    return names


def reopener(spec: SourceSpec, first: Source) -> Callable[[], Source]:
    """A callable that returns the already-open source first, then reopens it on later calls."""
    pending = [first]

    def open_again() -> Source:
        return pending.pop() if pending else open_source(spec)

    return open_again


def describe_streams(name: str, source: Source) -> list[StreamDeclaration]:
    """The streams (CMAF track files) ``source`` is recorded into: its video, then its sound."""
    video = source.video
    audio = source.audio
    video_stream, audio_stream = track_streams(name, video=video is not None, audio=audio is not None)
    declared: list[StreamDeclaration] = []
    if video_stream is not None and video is not None:
        picture = VideoDeclaration(width=video.width, height=video.height, fps=str(video.fps), codec="h264")
        declared.append(
            StreamDeclaration(
                name=video_stream,
                source=source.spec.redacted(),
                video=picture,
                audio=None,
                format=CMAF_TRACK_FILE,
            )
        )
    if audio_stream is not None and audio is not None:
        sound = AudioDeclaration(sample_rate=48000, channels=audio.channels, codec="aac")
        declared.append(
            StreamDeclaration(
                name=audio_stream,
                source=source.spec.redacted(),
                video=None,
                audio=sound,
                format=CMAF_TRACK_FILE,
            )
        )
    return declared
