"""The portal's settings, from COURTREC_* environment variables; built in the app factory, never at import."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from archive.formats.identifiers import CODE_PATTERN
from archive.formats.secret_strength import SECRET_HINT, secret_weakness
from portal.errors import ConfigurationError
from portal.secret_file import SECRET_FILE_NAME, load_or_create_secret
from streaming.http_limits import HeaderTimeoutSeconds, KeepAliveSeconds, MaxConnections, MaxHeaderBytes

DEFAULT_PORTAL_DOMAIN = "courtrec.invalid"  # RFC 2606: never a real host, so never someone else's UIDs
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
DOMAIN_PATTERN = rf"^{_LABEL}(\.{_LABEL})*$"
"""A DNS name (RFC 1123 labels, dot-separated); its length is capped at 253 by the field."""
MAX_SEGMENT_URL_SECONDS = 120  # 2017 rules art. 15: presigned URLs live at most two minutes


class Environment(StrEnum):
    """Where the portal runs; only ``development`` tolerates generated or placeholder secrets."""

    DEVELOPMENT = "development"
    PRODUCTION = "production"


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/courtrec/portal`` (``~/.local/share/courtrec/portal`` when unset)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "courtrec" / "portal"


class MediaDelivery(StrEnum):
    """How browsers fetch recorded segments once a segment route has allowed them."""

    STORE = "store"  # a presigned GET on the store's own endpoint (browsers must reach the store)
    PORTAL = "portal"  # a short-lived /media/<token> on the portal, which relays the object


class PortalSettings(BaseSettings):
    """Everything the portal reads from its environment (prefix ``COURTREC_``).

    ``database_url`` defaults to a SQLite file in ``data_dir``; PostgreSQL is used with a URL such as
    ``postgresql+psycopg://user:pass@host/db``. Sessions expire after ``session_idle_minutes`` without
    a request and ``session_absolute_hours`` after sign-in, whichever comes first.
    """

    model_config = SettingsConfigDict(env_prefix="COURTREC_", extra="ignore")

    environment: Environment = Environment.PRODUCTION
    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    portal_secret_key: SecretStr | None = None
    portal_agent_token: SecretStr | None = None
    portal_verify_token: SecretStr | None = Field(
        default=None,
        description="bearer token for /api/trust/ (the signed device key list and anchored checkpoint "
        "heads `archive verify --portal` reads); unset: that API refuses everyone",
    )
    portal_signing_key_path: Path | None = Field(
        default=None,
        description="the portal's Ed25519 key that signs exported key lists (default: "
        "DATA_DIR/portal-signing-key.pem, generated on first use, mode 0600)",
    )
    portal_cookie_secure: bool = True
    portal_openapi: bool | None = Field(
        default=None,
        description="serve the API's schema at /openapi.json and its docs at /docs (unset: only in "
        "development); off in production unless enabled",
    )
    portal_session_idle_minutes: int = Field(default=30, ge=1, le=30)
    portal_session_absolute_hours: int = Field(default=8, ge=1, le=12)
    portal_segment_url_seconds: int = Field(
        default=MAX_SEGMENT_URL_SECONDS, ge=10, le=MAX_SEGMENT_URL_SECONDS
    )
    portal_read_cache_seconds: float = Field(
        default=1.0,
        ge=0,
        le=5,
        description="how long a session or grant read by this process may be reused (0: never);"
        " writes through this process take effect at once regardless, see portal/identity/read_cache.py",
    )
    portal_public_view_window_minutes: int = Field(
        default=30,
        ge=1,
        le=1440,
        description="an anonymous viewer's live or replay view of a hearing is audited once per this "
        "many minutes (reloads within it add no record; see portal/audit/public_views.py)",
    )
    portal_display_timezone: str = "Asia/Shanghai"
    portal_domain: str = Field(
        default=DEFAULT_PORTAL_DOMAIN,
        pattern=DOMAIN_PATTERN,
        max_length=253,
        description="the court's DNS domain (e.g. court.example.gov.cn), the portal's identity in the "
        "iCalendar UIDs of notices (notice-7@<domain>); never taken from a request's Host, so a "
        "notice keeps its UID behind any proxy or host name. Set it once and keep it",
    )
    portal_hls_js_path: Path | None = None
    portal_media_delivery: MediaDelivery = Field(
        default=MediaDelivery.STORE,
        description="store: segment routes redirect to presigned GETs on the store's endpoint (which "
        "every viewer's browser must reach); portal: to short-lived /media/ URLs the portal relays "
        "itself, and public live media is served by the portal unless "
        "COURTREC_STREAMING_PUBLIC_BASE_URL names a CDN — for stores on 127.0.0.1 or an internal network",
    )
    portal_embedded_s3_port: int = Field(default=8333, ge=1024, le=55000)
    portal_live: bool = Field(
        default=False,
        description="mount the live server (WHIP ingest, command-centre wall, public live) under /live, "
        "configured by the COURTREC_STREAMING_* variables; the wall is for signed-in operators",
    )
    portal_broadcast_delay_seconds: float = Field(
        default=30.0, ge=0.0, le=600.0, description="public live broadcasts run this far behind the courtroom"
    )
    portal_broadcast_grace_minutes: int = Field(
        default=30,
        ge=0,
        le=240,
        description="a public hearing stays on air this long past its expected end (hearings overrun)",
    )
    portal_broadcast_stream: str = Field(
        default="bench-cam",
        pattern=CODE_PATTERN,
        description="the stream of each courtroom that is broadcast publicly (the agent's source name=)",
    )
    portal_broadcast_sound_stream: str = Field(
        default="mic-1",
        pattern=f"^$|{CODE_PATTERN}",
        description="the stream of each courtroom whose sound the public broadcast carries (the room's "
        "microphone, recorded as its own stream) when the room publishes no microphones' mix (mix, "
        "which is preferred); while neither is published the broadcast camera's own sound is used. "
        "Empty: always the camera's own sound",
    )
    portal_broadcast_check_seconds: float = Field(
        default=5.0, ge=0.5, le=60.0, description="how often the portal reconciles public broadcasts"
    )
    portal_max_body_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        le=16 * 1024 * 1024,
        description="largest request body (forms, JSON) any route accepts; larger is refused with 413 "
        "before it is read",
    )
    portal_max_sdp_bytes: int = Field(
        default=128 * 1024,
        ge=4 * 1024,
        le=1024 * 1024,
        description="largest WHIP/WHEP offer accepted under /live",
    )
    portal_enrolment_code_hours: int = Field(
        default=24, ge=1, le=168, description="how long a device's one-time enrolment code stays usable"
    )
    portal_device_offline_seconds: int = Field(
        default=120, ge=10, le=86400, description="a device unheard this long is alarmed as offline"
    )
    portal_device_low_storage_bytes: int = Field(
        default=2 * 1024**3, ge=0, le=10**15, description="a device with less free storage is alarmed"
    )
    portal_device_low_battery_percent: int = Field(
        default=20, ge=0, le=100, description="a device whose battery is below this is alarmed"
    )
    portal_device_request_window_seconds: int = Field(
        default=120,
        ge=10,
        le=900,
        description="a device's signed fleet request is refused when its timestamp is further than this"
        " from the portal's clock (and its nonce is remembered this long against replay)",
    )
    portal_heartbeat_keep_days: int = Field(
        default=30,
        ge=1,
        le=3660,
        description="device heartbeats older than this are pruned (each device's latest is always kept)",
    )
    portal_two_recorder_actions: str = Field(
        default="查封,搜查,强制迁出",
        max_length=500,
        description="enforcement actions (comma-separated) that at least two devices must film throughout",
    )
    portal_keep_alive_seconds: KeepAliveSeconds = 5
    portal_header_timeout_seconds: HeaderTimeoutSeconds = 10.0
    portal_max_header_bytes: MaxHeaderBytes = 16 * 1024
    portal_max_connections: MaxConnections = 500

    @field_validator("portal_display_timezone")
    @classmethod
    def _check_timezone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"must be an IANA time zone such as Asia/Shanghai (got {name!r})") from exc
        return name

    def two_recorder_actions(self) -> frozenset[str]:
        """The enforcement actions the coverage rule requires two recorders for."""
        return frozenset(kind.strip() for kind in self.portal_two_recorder_actions.split(",") if kind.strip())

    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL to use: ``database_url`` or the default SQLite file under ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'portal.sqlite3').resolve()}"

    def secret_key(self) -> str:
        """The key that signs pre-sign-in CSRF tokens.

        Outside development it must be set and strong (ConfigurationError, see
        ``archive.formats.secret_strength``); in development an unset key is generated once into
        ``DATA_DIR/portal-secret-key`` (mode 0600) and shared by every process on that directory
        (``portal.secret_file``). A configured key always wins.
        """
        value = self.portal_secret_key.get_secret_value() if self.portal_secret_key else None
        checked = self._checked_secret("COURTREC_PORTAL_SECRET_KEY", value)
        return checked or load_or_create_secret(self.data_dir / SECRET_FILE_NAME)

    def agent_token(self) -> str | None:
        """The bearer token capture agents present to report recordings; None disables reports.

        ConfigurationError for a weak token (see ``archive.formats.secret_strength``) outside
        development.
        """
        value = self.portal_agent_token.get_secret_value() if self.portal_agent_token else None
        if value is None:
            return None
        return self._checked_secret("COURTREC_PORTAL_AGENT_TOKEN", value)

    def verify_token(self) -> str | None:
        """The bearer token of the trust API (``/api/trust/``); None refuses every caller.

        ConfigurationError for a weak token outside development."""
        value = self.portal_verify_token.get_secret_value() if self.portal_verify_token else None
        if value is None:
            return None
        return self._checked_secret("COURTREC_PORTAL_VERIFY_TOKEN", value)

    def signing_key_path(self) -> Path:
        """Where the portal's key-list signing key is kept."""
        return self.portal_signing_key_path or self.data_dir / "portal-signing-key.pem"

    def check(self) -> None:
        """Validate the whole configuration up front (the app factory calls this)."""
        self.secret_key()
        self.agent_token()
        self.verify_token()
        if self.environment != Environment.DEVELOPMENT and not self.portal_cookie_secure:
            raise ConfigurationError(
                "COURTREC_PORTAL_COOKIE_SECURE=false is accepted only with COURTREC_ENVIRONMENT=development"
            )

    @property
    def serves_openapi(self) -> bool:
        """Whether /openapi.json and /docs are served: as ``portal_openapi`` says, else in development."""
        if self.portal_openapi is not None:
            return self.portal_openapi
        return self.environment == Environment.DEVELOPMENT

    @property
    def cookie_prefix(self) -> str:
        """``__Host-`` when cookies are Secure (browsers then pin them to this host and path /)."""
        return "__Host-" if self.portal_cookie_secure else ""

    def _checked_secret(self, name: str, value: str | None) -> str | None:
        if self.environment == Environment.DEVELOPMENT:
            return value
        if value is None:
            raise ConfigurationError(f"{name} must be set outside development; {SECRET_HINT}")
        weakness = secret_weakness(value)
        if weakness is not None:
            raise ConfigurationError(f"{name} {weakness}; {SECRET_HINT}")
        return value
