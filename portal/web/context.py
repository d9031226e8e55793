"""What every request handler needs, built once by the app factory and kept on ``app.state``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from archive.store import ObjectStore
from portal.audit.batcher import AuditBatcher
from portal.audit.public_views import PublicViewLog
from portal.clock import Clock
from portal.devices.heartbeats import AlarmThresholds
from portal.identity.principal import SignedInSession
from portal.identity.read_cache import ReadCache
from portal.identity.sessions import SessionPolicy
from portal.replays.manifest_cache import MaskedManifestCache
from portal.review.gate import PlaybackGate
from portal.review.playback import PlaylistTexts
from portal.review.track_cache import TrackCache
from portal.settings import PortalSettings
from portal.web.forms.enrolment_slips import EnrolmentSlips
from portal.web.forms.password_slips import PasswordSlips
from portal.web.public_cache import PublicCache


@dataclass(frozen=True, slots=True)
class PortalContext:
    """The portal's wiring: settings, database, clock, archive store; no behaviour of its own."""

    settings: PortalSettings
    engine: Engine
    sessions: sessionmaker[Session]
    readonly_sessions: sessionmaker[Session]
    clock: Clock
    store: ObjectStore | None
    tracks: TrackCache
    secret_key: str
    agent_token: str | None
    display_zone: ZoneInfo
    public_cache: PublicCache
    audit_batch: AuditBatcher
    public_views: PublicViewLog
    signed_in: ReadCache[str, SignedInSession]
    playback_gate: PlaybackGate
    playlists: PlaylistTexts
    masked_manifests: MaskedManifestCache
    password_slips: PasswordSlips = field(default_factory=PasswordSlips)
    enrolment_slips: EnrolmentSlips = field(default_factory=EnrolmentSlips)

    @property
    def session_policy(self) -> SessionPolicy:
        """Idle and absolute session lifetimes from the settings."""
        return SessionPolicy(
            idle=timedelta(minutes=self.settings.portal_session_idle_minutes),
            absolute=timedelta(hours=self.settings.portal_session_absolute_hours),
        )

    @property
    def device_alarm_thresholds(self) -> AlarmThresholds:
        """When a device is alarmed (offline, low storage, low battery), from the settings."""
        return AlarmThresholds(
            offline=timedelta(seconds=self.settings.portal_device_offline_seconds),
            low_storage_bytes=self.settings.portal_device_low_storage_bytes,
            low_battery_percent=self.settings.portal_device_low_battery_percent,
        )

    @property
    def segment_url_lifetime(self) -> timedelta:
        """How long a presigned segment URL lives (at most two minutes)."""
        return timedelta(seconds=self.settings.portal_segment_url_seconds)
