"""Which devices a staff member may see and command, and registering a device for a court.

Operators see the devices of their courts (their own and those granted in ``operator_courts``);
administrators see every device; everyone else none. A device outside the caller's scope is
reported as not found (its existence is not revealed).
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.formats.identifiers import IDENTIFIER_PATTERN
from portal.audit.trail import AuditAction, AuditEntry, append
from portal.errors import InvalidInputError, NotFoundError
from portal.identity.actor import Actor
from portal.models import Court, FleetDevice, OperatorCourt, Role

DEVICE_ID_PATTERN = IDENTIFIER_PATTERN
MAX_DEVICE_ID = 64


def fleet_court_ids(db: Session, actor: Actor) -> frozenset[int] | None:
    """The courts whose devices ``actor`` reaches (None: all, for an administrator)."""
    if actor.is_party:
        return frozenset()
    if actor.role == Role.ADMIN:
        return None
    if actor.role != Role.OPERATOR or actor.user_id is None:
        return frozenset()
    granted = db.scalars(select(OperatorCourt.court_id).where(OperatorCourt.user_id == actor.user_id))
    return frozenset({*granted, *([actor.court_id] if actor.court_id is not None else [])})


def device_in_scope(db: Session, actor: Actor, device_id: str) -> FleetDevice:
    """The device, if ``actor`` reaches its court; NotFoundError otherwise."""
    device = db.get(FleetDevice, device_id)
    courts = fleet_court_ids(db, actor)
    if device is None or (courts is not None and device.court_id not in courts):
        raise NotFoundError()
    return device


def devices_in_scope(db: Session, actor: Actor) -> list[FleetDevice]:
    """Every device ``actor`` reaches, by court and id."""
    query = select(FleetDevice).order_by(FleetDevice.court_id, FleetDevice.device_id)
    courts = fleet_court_ids(db, actor)
    if courts is not None:
        query = query.where(FleetDevice.court_id.in_(courts))
    return list(db.scalars(query))


def register_device(
    db: Session, device_id: str, court_code: str, officer: str, *, actor: str, now: datetime
) -> FleetDevice:
    """Register ``device_id`` for the court ``court_code`` (audited), or return it when already
    registered for that court. Raises InvalidInputError for a bad id, an unknown court, or a device
    registered for another court."""
    if not re.fullmatch(DEVICE_ID_PATTERN, device_id) or len(device_id) > MAX_DEVICE_ID:
        raise InvalidInputError(
            f"设备编号 {device_id!r} 不合规：只能用字母、数字、'.'、'_'、'-'，最长 64 个字符"
        )
    court = db.scalar(select(Court).where(Court.code == court_code))
    if court is None:
        raise InvalidInputError(f"没有编码为 {court_code!r} 的法院")
    device = db.get(FleetDevice, device_id)
    if device is not None:
        if device.court_id != court.id:
            raise InvalidInputError(f"设备 {device_id} 已登记在其他法院")
        return device
    device = FleetDevice(
        device_id=device_id, court_id=court.id, officer=officer.strip()[:200], created_at=now
    )
    db.add(device)
    db.flush()
    detail = {"court": court_code, "officer": device.officer}
    append(db, AuditEntry(actor, AuditAction.DEVICE_REGISTERED, f"device:{device_id}", detail=detail), at=now)
    return device


def assign_officer(db: Session, actor: Actor, device_id: str, officer: str, *, now: datetime) -> FleetDevice:
    """Assign the officer who carries the device (audited)."""
    device = device_in_scope(db, actor, device_id)
    officer = officer.strip()
    if not officer or len(officer) > 200:
        raise InvalidInputError("请填写执法人员姓名（不超过 200 个字）")
    device.officer = officer
    entry = AuditEntry(
        actor.audit_name,
        AuditAction.DEVICE_OFFICER_ASSIGNED,
        f"device:{device_id}",
        detail={"officer": officer},
    )
    append(db, entry, at=now)
    return device
