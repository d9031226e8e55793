"""Joining a recording's CMAF segments into one playable MP4, without re-encoding (``ffmpeg -c copy``).

Per stream, each init segment followed by its media segments is already a valid fragmented MP4; a
stream recorded in several runs (the agent restarted: a new init) is joined run after run with
ffmpeg's concat demuxer, which shifts each run's timestamps to follow the previous one. All streams
then go into ONE MP4 (``-map`` of every input: e.g. two cameras and a microphone become three
tracks; players show the first video and first audio track, editors see all). Each stream is
delayed by the wall-clock time its first segment started after the earliest stream's
(``-itsoffset``, from the journal's ``t_start_utc``), so the tracks stay in sync. Declared gaps are
not padded: the journal (a tag file of the bag) says where they are. ``+faststart`` puts the index first.

ffmpeg is imageio-ffmpeg's static binary, driven through ffmpeg-python.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg
import imageio_ffmpeg

from archive.errors import ExportError

_QUIET = ("-hide_banner", "-nostdin", "-loglevel", "error")


@dataclass(frozen=True, slots=True)
class StreamParts:
    """One stream's files in play order: runs of [init, segment, segment, ...], and its start offset."""

    name: str
    runs: tuple[tuple[Path, ...], ...]
    offset_seconds: float = 0.0

    def __post_init__(self) -> None:
        if not self.runs or any(len(run) < 2 for run in self.runs):
            raise ValueError(
                f"stream {self.name!r}: every run needs an init segment and at least one segment"
            )
        if self.offset_seconds < 0:
            raise ValueError(
                f"stream {self.name!r}: 'offset_seconds' must be >= 0 (got {self.offset_seconds})"
            )


def join_streams(streams: Sequence[StreamParts], dest: Path, work_dir: Path) -> list[str]:
    """Write every stream into the MP4 ``dest`` (must not exist), using ``work_dir`` for temporary
    files. Returns the ffmpeg command lines run. Raises ExportError when ffmpeg fails."""
    if not streams:
        raise ExportError("nothing to join: the recording has no media segments")
    if dest.exists():
        raise ExportError(f"{dest} exists; an export never overwrites")
    work_dir.mkdir(parents=True, exist_ok=True)
    commands: list[str] = []
    inputs = []
    for stream in streams:
        path = _stream_file(stream, work_dir, commands)
        inputs.append(ffmpeg.input(str(path), itsoffset=f"{stream.offset_seconds:.6f}"))
    partial = work_dir / f"joined{dest.suffix}"
    output = ffmpeg.output(*inputs, str(partial), c="copy", movflags="+faststart")
    _run(output, commands)
    os.replace(partial, dest)
    return commands


def _stream_file(stream: StreamParts, work_dir: Path, commands: list[str]) -> Path:
    runs = []
    for number, run in enumerate(stream.runs, start=1):
        target = work_dir / f"{stream.name}-run{number}.mp4"
        with target.open("wb") as out:
            for part in run:
                with part.open("rb") as source:
                    while chunk := source.read(1 << 20):
                        out.write(chunk)
        runs.append(target)
    if len(runs) == 1:
        return runs[0]
    listing = work_dir / f"{stream.name}-runs.txt"
    listing.write_text("".join(f"file '{path.resolve()}'\n" for path in runs), encoding="utf-8")
    joined = work_dir / f"{stream.name}.mp4"
    _run(ffmpeg.output(ffmpeg.input(str(listing), f="concat", safe=0), str(joined), c="copy"), commands)
    return joined


def _run(node: Any, commands: list[str]) -> None:
    """Run an ffmpeg-python output node with the bundled binary, quietly."""
    command = [imageio_ffmpeg.get_ffmpeg_exe(), *_QUIET]
    commands.append(" ".join(node.compile(cmd=command)))
    try:
        node.run(cmd=command, capture_stdout=True, capture_stderr=True)
    except ffmpeg.Error as exc:
        stderr = exc.stderr.decode("utf-8", errors="replace").strip() if exc.stderr else ""
        raise ExportError(f"ffmpeg failed joining the recording: {stderr[-2000:] or exc}") from exc
