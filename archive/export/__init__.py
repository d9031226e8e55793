"""Recordings leaving the archive: BagIt bags, joined MP4 files and HLS VOD playlists for playback, and the
summary of a recording that agents report to the portal.
"""

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
