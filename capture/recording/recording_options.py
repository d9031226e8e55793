"""The command-line options every recording command shares (``record`` and ``serve``): segment and
checkpoint lengths, the court and device the journal names, the encoder, the device key."""

from __future__ import annotations

import argparse
from pathlib import Path

from capture.recording.stream.encoder import VideoEncoderName
from capture.settings import CaptureSettings


def add_recording_options(parser: argparse.ArgumentParser, settings: CaptureSettings) -> None:
    """Add the shared options to ``parser``, with defaults from ``settings``."""
    parser.add_argument("--segment-seconds", type=float, default=settings.segment_seconds)
    parser.add_argument("--checkpoint-seconds", type=float, default=settings.checkpoint_seconds)
    parser.add_argument("--court", default=settings.court)
    parser.add_argument("--device-id", default=settings.device_id)
    parser.add_argument(
        "--encoder", type=VideoEncoderName, choices=list(VideoEncoderName), default=settings.video_encoder
    )
    parser.add_argument("--preset", default=settings.video_preset)
    parser.add_argument(
        "--key-file", type=Path, default=None, help="device Ed25519 key (default: in the spool)"
    )
