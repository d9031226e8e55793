"""The capture agent's settings, from COURTREC_* environment variables (built on demand)."""

from __future__ import annotations

import socket

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from archive.formats.http_url import http_url_problem
from archive.formats.identifiers import CODE_PATTERN
from archive.formats.settings_errors import load_settings
from archive.settings import ArchiveSettings
from capture.recording.stream.encoder import VideoEncoderName
from streaming import StreamingSettings

X264_PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
)


class CaptureSettings(BaseSettings):
    """Defaults for ``python -m capture record``; command-line options override them."""

    model_config = SettingsConfigDict(env_prefix="COURTREC_", extra="ignore")

    court: str = Field(default="demo-court", pattern=CODE_PATTERN)
    device_id: str = Field(default_factory=socket.gethostname, min_length=1, max_length=128)
    segment_seconds: float = Field(default=6.0, ge=2.0, le=60.0)
    checkpoint_seconds: float = Field(default=60.0, gt=0.0, le=3600.0)
    video_encoder: VideoEncoderName = VideoEncoderName.LIBX264
    video_preset: str = Field(default="veryfast", pattern=f"^({'|'.join(X264_PRESETS)})$")
    upload_drain_seconds: float = Field(default=30.0, ge=0.0)
    disk_alarm_hours: float = Field(default=2.0, gt=0.0, le=1000.0)  # spool headroom alarm
    live_url: str | None = None  # WHIP base URL; set to publish live by default
    live_token: SecretStr | None = None  # this device's WHIP bearer token
    portal_url: str | None = None  # the portal to report recordings to, e.g. http://portal:8000
    portal_agent_token: SecretStr | None = None  # the portal's agent bearer token
    console_token: SecretStr | None = None  # the clerk's console token (needed beyond loopback)

    @field_validator("live_url", "portal_url")
    @classmethod
    def _check_url(cls, url: str | None) -> str | None:
        if url is not None:
            problem = http_url_problem(url)
            if problem is not None:
                raise ValueError(f"must be an http:// or https:// URL with a host: {problem} (got {url!r})")
        return url


def check_agent_settings(*, live: bool) -> None:
    """Every other package's settings the agent reads, checked before it records: the archive's
    (store, buckets, endpoints) and, when publishing live, the streaming ones (ICE).

    Raises RefusedSettingError naming the first refused COURTREC_… variable.
    """
    load_settings(ArchiveSettings)
    if live:
        load_settings(StreamingSettings)
