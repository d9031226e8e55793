"""Public live HLS: delayed, cuttable, optionally face-masked broadcasts of hearings marked public."""

from streaming.public.segment_publisher import DirectoryPublisher, SegmentPublisher

__all__ = ["DirectoryPublisher", "SegmentPublisher"]
