"""Recordings leaving the archive: BagIt bags, joined MP4 files and HLS VOD playlists for playback, and the
summary of a recording that agents report to the portal.

The names below are re-exported lazily (PEP 562): a capture agent needs only the summary and the
playlist tracks, and importing the bag export eagerly would load all of ``archive.preservation`` (and
its S3 tooling) into every agent start-up — seconds of CPU per restart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import lazy_loader

if TYPE_CHECKING:
    from archive.export.bag import ExportResult, export_bag
    from archive.export.data_tracks import DataSegment, DataTrack, data_tracks_from_journal
    from archive.export.mp4_join import StreamParts, join_streams
    from archive.export.playlist import (
        PlaylistSegment,
        RecordingTracks,
        StreamTrack,
        build_vod_playlist,
        load_tracks,
        load_tracks_and_journal,
        tracks_from_journal,
    )
    from archive.export.summary import RecordingSummary, summarize_journal

__getattr__, __dir__, _ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "bag": ["ExportResult", "export_bag"],
        "data_tracks": ["DataSegment", "DataTrack", "data_tracks_from_journal"],
        "mp4_join": ["StreamParts", "join_streams"],
        "playlist": [
            "PlaylistSegment",
            "RecordingTracks",
            "StreamTrack",
            "build_vod_playlist",
            "load_tracks",
            "load_tracks_and_journal",
            "tracks_from_journal",
        ],
        "summary": ["RecordingSummary", "summarize_journal"],
    },
)


__all__ = [
    "DataSegment",
    "DataTrack",
    "ExportResult",
    "PlaylistSegment",
    "RecordingSummary",
    "RecordingTracks",
    "StreamParts",
    "StreamTrack",
    "build_vod_playlist",
    "data_tracks_from_journal",
    "export_bag",
    "join_streams",
    "load_tracks",
    "load_tracks_and_journal",
    "summarize_journal",
    "tracks_from_journal",
]
