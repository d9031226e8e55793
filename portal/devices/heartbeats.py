"""Device heartbeats: the latest state kept on the device, every heartbeat kept as history, the clock
offset judged at receipt, and the alarms the staff pages show (offline, low storage, low battery,
recording failure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.audit.trail import AuditAction, AuditEntry, append
from portal.models import DeviceHeartbeat, FleetDevice

MAX_CLOCK_OFFSET_SECONDS = 1.0  # issue 15: each device's clock is journaled when it drifts over a second
RECORDING_STATES = ("standby", "recording", "fault")
STATE_NAMES = {"standby": "待机", "recording": "正在录像", "fault": "录像故障", "": "未上报"}


@dataclass(frozen=True, slots=True)
class Position:
    """Where the device was, and when (its own clock)."""

    lat: float
    lon: float
    at: datetime


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """One heartbeat as the agent API received it (see ``agent_fleet``)."""

    battery_percent: int | None
    free_bytes: int
    backlog_segments: int
    backlog_bytes: int
    agent_version: str
    recording: str
    recording_id: str | None
    position: Position | None
    device_time: datetime
    upload_bytes_per_second: int | None = None  # measured by the device; None: nothing sent lately
    drain_seconds: float | None = None  # the backlog at that rate; None: unknown


@dataclass(frozen=True, slots=True)
class AlarmThresholds:
    """When a device is alarmed (from the settings)."""

    offline: timedelta
    low_storage_bytes: int
    low_battery_percent: int


def record_heartbeat(db: Session, device: FleetDevice, beat: Heartbeat, *, now: datetime) -> DeviceHeartbeat:
    """Keep ``beat`` (received at ``now``) on the device and in its history; a clock offset above a
    second is a drift event (audited when the device starts drifting)."""
    offset = (beat.device_time - now).total_seconds()
    drifted = abs(offset) > MAX_CLOCK_OFFSET_SECONDS
    was_drifting = (
        device.clock_offset_seconds is not None
        and abs(device.clock_offset_seconds) > MAX_CLOCK_OFFSET_SECONDS
    )
    device.last_heartbeat_at = now
    device.battery_percent = beat.battery_percent
    device.free_bytes, device.backlog_segments, device.backlog_bytes = (
        beat.free_bytes,
        beat.backlog_segments,
        beat.backlog_bytes,
    )
    device.upload_bytes_per_second, device.drain_seconds = beat.upload_bytes_per_second, beat.drain_seconds
    device.agent_version, device.recording_state, device.recording_id = (
        beat.agent_version[:64],
        beat.recording,
        beat.recording_id,
    )
    if beat.position is not None:
        device.position_lat, device.position_lon = beat.position.lat, beat.position.lon
        device.position_at = beat.position.at
    device.clock_offset_seconds = offset
    row = DeviceHeartbeat(
        device_id=device.device_id,
        received_at=now,
        recording_state=beat.recording,
        recording_id=beat.recording_id,
        clock_offset_seconds=offset,
        drifted=drifted,
    )
    db.add(row)
    if drifted and not was_drifting:
        entry = AuditEntry(
            f"device:{device.device_id}",
            AuditAction.DEVICE_CLOCK_DRIFT,
            f"device:{device.device_id}",
            outcome="drift",
            detail={"offset_seconds": round(offset, 3), "device_time": beat.device_time.isoformat()},
        )
        append(db, entry, at=now)
    db.flush()
    return row


def drift_events(db: Session, device_id: str, limit: int = 20) -> list[DeviceHeartbeat]:
    """The device's latest heartbeats whose clock was more than a second off, newest first."""
    query = (
        select(DeviceHeartbeat)
        .where(DeviceHeartbeat.device_id == device_id, DeviceHeartbeat.drifted.is_(True))
        .order_by(DeviceHeartbeat.received_at.desc())
        .limit(limit)
    )
    return list(db.scalars(query))


def device_alarms(device: FleetDevice, thresholds: AlarmThresholds, *, now: datetime) -> list[str]:
    """What is wrong with ``device`` now, in Chinese (empty: nothing)."""
    if device.last_heartbeat_at is None:
        return ["从未上报心跳"]
    alarms = []
    silent = now - device.last_heartbeat_at
    if silent > thresholds.offline:
        alarms.append(f"离线已 {int(silent.total_seconds() // 60)} 分 {int(silent.total_seconds() % 60)} 秒")
    if device.free_bytes is not None and device.free_bytes < thresholds.low_storage_bytes:
        alarms.append(f"存储空间不足（剩余 {device.free_bytes / 1024**3:.1f} GB）")
    if device.battery_percent is not None and device.battery_percent < thresholds.low_battery_percent:
        alarms.append(f"电量低（{device.battery_percent}%）")
    if device.recording_state == "fault":
        alarms.append("录像故障")
    if (
        device.clock_offset_seconds is not None
        and abs(device.clock_offset_seconds) > MAX_CLOCK_OFFSET_SECONDS
    ):
        alarms.append(f"时钟偏差 {device.clock_offset_seconds:+.1f} 秒")
    return alarms


def recording_devices(db: Session, recording_ids: list[str]) -> dict[str, str]:
    """The device that made each recording, as its heartbeats named it (recording id → device id)."""
    if not recording_ids:
        return {}
    rows = db.execute(
        select(DeviceHeartbeat.recording_id, DeviceHeartbeat.device_id)
        .where(DeviceHeartbeat.recording_id.in_(recording_ids))
        .distinct()
    )
    return {recording_id: device_id for recording_id, device_id in rows if recording_id is not None}
