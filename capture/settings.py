"""The capture agent's settings, from COURTREC_* environment variables (built on demand)."""

from __future__ import annotations

import socket

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from archive.formats.identifiers import CODE_PATTERN
from capture.encoder import VideoEncoderName


class CaptureSettings(BaseSettings):
    """Defaults for ``python -m capture record``; command-line options override them."""

    model_config = SettingsConfigDict(env_prefix="COURTREC_", extra="ignore")

    court: str = Field(default="demo-court", pattern=CODE_PATTERN)
    device_id: str = Field(default_factory=socket.gethostname)
    segment_seconds: float = Field(default=6.0, ge=2.0, le=60.0)
    checkpoint_seconds: float = Field(default=60.0, gt=0.0, le=3600.0)
    video_encoder: VideoEncoderName = VideoEncoderName.LIBX264
    video_preset: str = "veryfast"
    upload_drain_seconds: float = Field(default=30.0, ge=0.0)
    disk_alarm_hours: float = Field(default=2.0, gt=0.0, le=1000.0)  # spool headroom alarm
    live_url: str | None = None  # WHIP base URL; set to publish live by default
    live_token: SecretStr | None = None  # this device's WHIP bearer token
    portal_url: str | None = None  # the portal to report recordings to, e.g. http://portal:8000
    portal_agent_token: SecretStr | None = None  # the portal's agent bearer token
