"""What a start event declares about each stream it records: its source, encoded formats and file format."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from archive.journal.fields import FieldReader, JsonObject


@dataclass(frozen=True, slots=True)
class VideoDeclaration:
    """The encoded video of a stream: pixel size, frame rate (a fraction as text, e.g. ``30000/1001``)."""

    width: int
    height: int
    fps: str
    codec: str

    def __post_init__(self) -> None:
        if self.width < 1 or self.height < 1:
            raise ValueError(f"video size must be positive (got {self.width}x{self.height})")

    @classmethod
    def from_fields(cls, fields: FieldReader) -> Self:
        return cls(
            width=fields.integer("width"),
            height=fields.integer("height"),
            fps=fields.string("fps"),
            codec=fields.string("codec"),
        )

    def to_fields(self) -> JsonObject:
        return {"width": self.width, "height": self.height, "fps": self.fps, "codec": self.codec}


@dataclass(frozen=True, slots=True)
class AudioDeclaration:
    """The encoded audio of a stream: sample rate in Hz and channel count."""

    sample_rate: int
    channels: int
    codec: str

    def __post_init__(self) -> None:
        if self.sample_rate < 1 or self.channels < 1:
            raise ValueError(
                f"audio needs a positive rate and channels (got {self.sample_rate} Hz, {self.channels})"
            )

    @classmethod
    def from_fields(cls, fields: FieldReader) -> Self:
        return cls(
            sample_rate=fields.integer("sample_rate"),
            channels=fields.integer("channels"),
            codec=fields.string("codec"),
        )

    def to_fields(self) -> JsonObject:
        return {"sample_rate": self.sample_rate, "channels": self.channels, "codec": self.codec}


CMAF_TRACK_FILE = "cmaf"
"""``format`` of a stream written as a CMAF track file (docs/FORMATS.md): one track, ``cmfc`` in the
init segment's ``ftyp``, a ``styp`` (``cmfs``) at the start of every media segment."""


@dataclass(frozen=True, slots=True)
class DataDeclaration:
    """A timed-metadata stream (no media): what it records (``kind``, e.g. ``position`` for a GPS
    track) and how its segments are written (``format``, e.g. ``geojson-lines``)."""

    kind: str
    format: str

    def __post_init__(self) -> None:
        if not self.kind or not self.format:
            raise ValueError("a data stream declares its 'kind' and 'format'")

    @classmethod
    def from_fields(cls, fields: FieldReader) -> Self:
        return cls(kind=fields.string("kind"), format=fields.string("format"))

    def to_fields(self) -> JsonObject:
        return {"kind": self.kind, "format": self.format}


@dataclass(frozen=True, slots=True)
class StreamDeclaration:
    """One stream of a recording: its ``name``, its source spec (passwords redacted), the video and
    audio it encodes (None when it has none), and its file ``format``: :data:`CMAF_TRACK_FILE`, or
    None for a stream declared before that (fragmented MP4 whose one file may hold a source's video and
    audio together, segments without ``styp``). ``cam.audio`` is the sound of source ``cam``.
    ``data`` is set instead of video and audio for a timed-metadata stream (a GPS track): its segments
    are sealed and journaled like media, but are not media (no init segment, nothing to play); absent
    on the lines of media streams."""

    name: str
    source: str
    video: VideoDeclaration | None
    audio: AudioDeclaration | None
    format: str | None = None
    data: DataDeclaration | None = None

    def __post_init__(self) -> None:
        if self.format not in (None, CMAF_TRACK_FILE):
            raise ValueError(f"'format' must be {CMAF_TRACK_FILE!r} or absent (got {self.format!r})")
        if self.format == CMAF_TRACK_FILE and self.video is not None and self.audio is not None:
            raise ValueError(f"stream {self.name!r}: a CMAF track file holds one track, not video and audio")
        if self.data is not None and (self.video is not None or self.audio is not None or self.format):
            raise ValueError(f"stream {self.name!r}: a data stream carries no video or audio")

    @property
    def is_cmaf_track_file(self) -> bool:
        """Whether the stream is declared a CMAF track file (checked as one by verification)."""
        return self.format == CMAF_TRACK_FILE

    @classmethod
    def from_fields(cls, fields: FieldReader) -> Self:
        video = fields.opt_object("video")
        audio = fields.opt_object("audio")
        data = fields.opt_object("data")
        return cls(
            name=fields.string("name"),
            source=fields.string("source"),
            video=None if video is None else VideoDeclaration.from_fields(video),
            audio=None if audio is None else AudioDeclaration.from_fields(audio),
            format=fields.opt_string("format"),
            data=None if data is None else DataDeclaration.from_fields(data),
        )

    def to_fields(self) -> JsonObject:
        fields: JsonObject = {
            "name": self.name,
            "source": self.source,
            "video": None if self.video is None else self.video.to_fields(),
            "audio": None if self.audio is None else self.audio.to_fields(),
            **({} if self.format is None else {"format": self.format}),  # old lines re-encode unchanged
        }
        if self.data is not None:  # media streams' lines re-encode unchanged
            fields["data"] = self.data.to_fields()
        return fields
