"""Recordings leaving the archive: BagIt bags, joined MP4 files and HLS VOD playlists for playback, and the
summary of a recording that agents report to the portal.

The names below are re-exported lazily (PEP 562): a capture agent needs only the summary and the
playlist tracks, and importing the bag export eagerly would load all of ``archive.preservation`` (and
its S3 tooling) into every agent start-up — seconds of CPU per restart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archive.lazy_exports import lazy_exports

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

_SUBMODULE_OF = {
    "ExportResult": "bag",
    "export_bag": "bag",
    "DataSegment": "data_tracks",
    "DataTrack": "data_tracks",
    "data_tracks_from_journal": "data_tracks",
    "StreamParts": "mp4_join",
    "join_streams": "mp4_join",
    "PlaylistSegment": "playlist",
    "RecordingTracks": "playlist",
    "StreamTrack": "playlist",
    "build_vod_playlist": "playlist",
    "load_tracks": "playlist",
    "load_tracks_and_journal": "playlist",
    "tracks_from_journal": "playlist",
    "RecordingSummary": "summary",
    "summarize_journal": "summary",
}


__getattr__, __dir__ = lazy_exports(__name__, _SUBMODULE_OF, globals())


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
