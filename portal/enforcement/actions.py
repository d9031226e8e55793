"""Enforcement actions of execution cases: recorded by court staff with their kind, time, place and
the devices that film them; linked to the recordings those devices made during them (by device and
time overlap with the recordings index), which the case's parties may then apply to review.

The recordings a device made are known from its heartbeats (which name the recording under way) and
from the checkpoint heads its agent reported (signed with the device's enrolled key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal.audit.trail import AuditAction, AuditEntry, append
from portal.case_number import is_execution_case
from portal.enforcement.coverage import Beat, Coverage, Interval, coverage, heartbeat_intervals
from portal.errors import InvalidInputError, NotFoundError, RuleViolationError
from portal.identity.actor import Actor
from portal.identity.staff_scope import require_case_in_scope
from portal.models import (
    Case,
    CheckpointAnchor,
    DeviceHeartbeat,
    DeviceKey,
    EnforcementAction,
    EnforcementActionDevice,
    EnforcementActionRecording,
    FleetDevice,
    Recording,
)

ACTION_KINDS = ("查封", "扣押", "冻结", "搜查", "拘留", "强制迁出", "罚款", "拍卖", "其他")
MAX_ACTION_LENGTH = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class ActionDraft:
    """What staff enter for an action."""

    kind: str
    place: str
    starts_at: datetime
    ends_at: datetime | None
    device_ids: tuple[str, ...]


def create_action(
    db: Session,
    staff: Actor,
    case_id: int,
    draft: ActionDraft,
    *,
    two_recorders: frozenset[str],
    now: datetime,
) -> EnforcementAction:
    """Record an action of the execution case ``case_id`` (audited) and link its recordings.

    Raises NotFoundError (case outside the caller's court), InvalidInputError (not an execution case,
    unknown kind, no place, bad times, a device not of the case's court)."""
    case = require_case_in_scope(db, staff, case_id)
    if not is_execution_case(case.number):
        raise InvalidInputError("只有执行案件（案号含“执”）可以登记执行行为")
    if draft.kind not in ACTION_KINDS:
        raise InvalidInputError(f"执行行为应为 {'、'.join(ACTION_KINDS)} 之一")
    place = draft.place.strip()
    if not 2 <= len(place) <= 300:
        raise InvalidInputError("请填写执行地点（2 至 300 个字）")
    if draft.starts_at.tzinfo is None or (draft.ends_at is not None and draft.ends_at.tzinfo is None):
        raise InvalidInputError("时间必须带时区")
    if (
        draft.ends_at is not None
        and not draft.starts_at < draft.ends_at <= draft.starts_at + MAX_ACTION_LENGTH
    ):
        raise InvalidInputError("结束时间应晚于开始时间，且一次执行行为不超过 7 天")
    devices = set(draft.device_ids)
    for device_id in devices:
        device = db.get(FleetDevice, device_id)
        if device is None or device.court_id != case.court_id:
            raise InvalidInputError(f"设备 {device_id} 不是本院登记的设备")
    action = EnforcementAction(
        case_id=case.id,
        kind=draft.kind,
        place=place,
        starts_at=draft.starts_at,
        ends_at=draft.ends_at,
        required_recorders=2 if draft.kind in two_recorders else 1,
        created_by=staff.user_id or 0,
        created_at=now,
    )
    db.add(action)
    db.flush()
    for device_id in sorted(devices):
        db.add(EnforcementActionDevice(action_id=action.id, device_id=device_id))
    db.flush()
    detail: dict[str, str | int | list[str]] = {
        "kind": action.kind,
        "case": case.number,
        "devices": sorted(devices),
        "required_recorders": action.required_recorders,
    }
    append(
        db,
        AuditEntry(
            staff.audit_name,
            AuditAction.ENFORCEMENT_ACTION_CREATED,
            f"enforcement:{action.id}",
            detail=detail,
        ),
        at=now,
    )
    link_recordings(db, staff, action.id, now=now)
    return action


def action_in_scope(db: Session, staff: Actor, action_id: int) -> tuple[EnforcementAction, Case]:
    """The action and its case, if the caller is staff of the case's court; NotFoundError otherwise."""
    action = db.get(EnforcementAction, action_id)
    if action is None:
        raise NotFoundError()
    return action, require_case_in_scope(db, staff, action.case_id)


def end_action(db: Session, staff: Actor, action_id: int, *, now: datetime) -> EnforcementAction:
    """Mark an action under way as ended now (audited) and link its recordings."""
    action, _case = action_in_scope(db, staff, action_id)
    if action.ends_at is not None:
        raise RuleViolationError("该执行行为已结束")
    if now <= action.starts_at:
        raise RuleViolationError("执行行为尚未开始，不能结束")
    action.ends_at = now
    append(
        db,
        AuditEntry(staff.audit_name, AuditAction.ENFORCEMENT_ACTION_ENDED, f"enforcement:{action.id}"),
        at=now,
    )
    link_recordings(db, staff, action.id, now=now)
    return action


def actions_of_case(db: Session, case_id: int) -> list[EnforcementAction]:
    """The case's actions in time order (the caller checked its access to the case)."""
    query = select(EnforcementAction).where(EnforcementAction.case_id == case_id)
    return list(db.scalars(query.order_by(EnforcementAction.starts_at, EnforcementAction.id)))


def action_devices(db: Session, action_id: int) -> list[FleetDevice]:
    """The devices assigned to film the action."""
    query = (
        select(FleetDevice)
        .join(EnforcementActionDevice, EnforcementActionDevice.device_id == FleetDevice.device_id)
        .where(EnforcementActionDevice.action_id == action_id)
        .order_by(FleetDevice.device_id)
    )
    return list(db.scalars(query))


def linked_recordings(db: Session, action_id: int) -> list[Recording]:
    """The recordings linked to the action, by start."""
    query = (
        select(Recording)
        .join(EnforcementActionRecording, EnforcementActionRecording.recording_id == Recording.id)
        .where(EnforcementActionRecording.action_id == action_id)
        .order_by(Recording.started_at, Recording.id)
    )
    return list(db.scalars(query))


def _window(action: EnforcementAction, now: datetime) -> Interval:
    return action.starts_at, action.ends_at or max(now, action.starts_at)


def devices_recordings(db: Session, device_ids: list[str]) -> dict[str, set[str]]:
    """The recordings each device made (device id → recording ids), by its heartbeats and by the
    checkpoint heads signed with its keys."""
    made: dict[str, set[str]] = {d: set() for d in device_ids}
    if not device_ids:
        return made
    by_heartbeat = db.execute(
        select(DeviceHeartbeat.device_id, DeviceHeartbeat.recording_id)
        .where(DeviceHeartbeat.device_id.in_(device_ids), DeviceHeartbeat.recording_id.is_not(None))
        .distinct()
    )
    by_key = db.execute(
        select(DeviceKey.device_id, CheckpointAnchor.recording_id)
        .join(CheckpointAnchor, CheckpointAnchor.public_key == DeviceKey.public_key)
        .where(DeviceKey.device_id.in_(device_ids))
        .distinct()
    )
    for device_id, recording_id in [*by_heartbeat, *by_key]:
        if recording_id is not None:
            made[device_id].add(recording_id)
    return made


def candidate_recordings(
    db: Session, action: EnforcementAction, case: Case, *, now: datetime
) -> list[Recording]:
    """Recordings of the action's court made by its devices that overlap its window."""
    start, end = _window(action, now)
    made = devices_recordings(db, [d.device_id for d in action_devices(db, action.id)])
    ids = set().union(*made.values()) if made else set()
    if not ids:
        return []
    query = select(Recording).where(
        Recording.id.in_(ids),
        Recording.court_id == case.court_id,
        Recording.started_at.is_not(None),
        Recording.started_at < end,
        or_(Recording.ended_at.is_(None), Recording.ended_at > start),
    )
    return list(db.scalars(query.order_by(Recording.started_at)))


def link_recordings(db: Session, staff: Actor, action_id: int, *, now: datetime) -> int:
    """Link every candidate recording not yet linked (audited when any); returns how many were new."""
    action, case = action_in_scope(db, staff, action_id)
    known = {r.id for r in linked_recordings(db, action.id)}
    new = [r.id for r in candidate_recordings(db, action, case, now=now) if r.id not in known]
    for recording_id in new:
        db.add(EnforcementActionRecording(action_id=action.id, recording_id=recording_id, linked_at=now))
    if new:
        db.flush()
        entry = AuditEntry(
            staff.audit_name,
            AuditAction.ENFORCEMENT_RECORDINGS_LINKED,
            f"enforcement:{action.id}",
            detail={"recordings": new},
        )
        append(db, entry, at=now)
    return len(new)


def action_coverage(db: Session, action: EnforcementAction, *, offline: timedelta, now: datetime) -> Coverage:
    """Whether the action's devices met its coverage rule (see ``coverage``)."""
    start, end = _window(action, now)
    devices = [d.device_id for d in action_devices(db, action.id)]
    made = devices_recordings(db, devices)
    per_device = []
    for device_id in devices:
        beats = db.execute(
            select(DeviceHeartbeat.received_at, DeviceHeartbeat.recording_state)
            .where(
                DeviceHeartbeat.device_id == device_id,
                DeviceHeartbeat.received_at >= start - offline,
                DeviceHeartbeat.received_at < end,
            )
            .order_by(DeviceHeartbeat.received_at)
        )
        spans = heartbeat_intervals([Beat(at, state == "recording") for at, state in beats], offline=offline)
        for recording in db.scalars(select(Recording).where(Recording.id.in_(made[device_id]))):
            if recording.started_at is not None and recording.ended_at is not None:
                spans.append((recording.started_at, recording.ended_at))
        per_device.append(spans)
    return coverage(per_device, action.required_recorders, (start, end), now=now)


def case_linked_recording_ids(db: Session, case_id: int) -> list[str]:
    """Every recording linked to an action of ``case_id``."""
    query = (
        select(EnforcementActionRecording.recording_id)
        .join(EnforcementAction, EnforcementAction.id == EnforcementActionRecording.action_id)
        .where(EnforcementAction.case_id == case_id)
        .distinct()
    )
    return list(db.scalars(query))
