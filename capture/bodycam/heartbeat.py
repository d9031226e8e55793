"""The body camera's heartbeat: what the portal's device fleet shows about it (battery, storage,
backlog, state, position), in the agent API's shape."""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from archive.spool import UploadQueue
from capture.bodycam.agent import BodycamAgent
from capture.device_status import battery_percent, free_bytes
from devices import PositionFix
from timebase import Clock

PositionSource = Callable[[], dict[str, object] | None]
"""The device's position ({"lat", "lon", "at"}) or None; a GPS source plugs in here."""


def agent_version() -> str:
    """The installed courtrec version ("0+unknown" when not installed as a package)."""
    try:
        return metadata.version("courtrec")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def position_of(latest: Callable[[], PositionFix | None]) -> PositionSource:
    """The heartbeat's ``position`` from the latest GPS fix (``at``: the fix's own time)."""

    def position() -> dict[str, object] | None:
        fix = latest()
        return None if fix is None else {"lat": fix.lat, "lon": fix.lon, "at": fix.fix_time.isoformat()}

    return position


def drain_seconds(backlog_bytes: int, bytes_per_second: float | None) -> float | None:
    """How long sending ``backlog_bytes`` takes at the measured upload rate: 0 with no backlog, None
    when the rate is unknown (nothing stored lately: the store or the link is down). What is
    recorded meanwhile adds to it."""
    if backlog_bytes <= 0:
        return 0.0
    if not bytes_per_second:
        return None
    return round(backlog_bytes / bytes_per_second, 1)


def heartbeat_report(
    agent: BodycamAgent,
    queue: UploadQueue,
    spool: Path,
    position: PositionSource,
    clock: Clock,
    *,
    upload_rate: Callable[[], float | None] = lambda: None,
) -> dict[str, object]:
    """The heartbeat body: battery (None: unknown), free spool bytes, the upload backlog with the
    measured upload rate and the estimated drain time, version, state, the recording in progress,
    position and the device's own clock."""
    segments, size = queue.backlog()
    rate = upload_rate()
    return {
        "battery_percent": battery_percent(),
        "free_bytes": free_bytes(spool),
        "backlog_segments": segments,
        "backlog_bytes": size,
        "upload_bytes_per_second": None if rate is None else round(rate),
        "drain_seconds": drain_seconds(size, rate),
        "agent_version": agent_version(),
        "recording": agent.state.value,
        "recording_id": agent.recording_id,
        "position": position(),
        "device_time": clock.now().isoformat(),
    }
