"""Commands operators send a device (remote activation, going live) and the device's answers.

Devices sit behind NAT and never accept a connection: a device long-polls the portal for its
pending commands and acknowledges each (done or refused). A command stays pending until
acknowledged, so a device that was offline obeys when it next hears the portal. Requests and
acknowledgements are audited.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.audit.trail import AuditAction, AuditEntry, append
from portal.devices.fleet import device_in_scope
from portal.errors import NotFoundError, RuleViolationError
from portal.identity.actor import Actor
from portal.models import CommandAction, DeviceCommand, FleetDevice

ACTION_NAMES = {
    CommandAction.ACTIVATE: "远程启动录像",
    CommandAction.DEACTIVATE: "远程停止录像",
    CommandAction.GO_LIVE: "开始直播",
    CommandAction.STOP_LIVE: "停止直播",
}
RESULTS = frozenset({"done", "refused"})


def request_command(
    db: Session, actor: Actor, device_id: str, action: CommandAction, *, now: datetime, ip: str = ""
) -> DeviceCommand:
    """Queue ``action`` for the device (audited). NotFoundError outside the operator's courts."""
    device_in_scope(db, actor, device_id)
    command = DeviceCommand(
        id=secrets.token_hex(12),
        device_id=device_id,
        action=action,
        requested_by=actor.audit_name[:200],
        requested_at=now,
    )
    db.add(command)
    db.flush()
    entry = AuditEntry(
        actor.audit_name,
        AuditAction.DEVICE_COMMAND_REQUESTED,
        f"device:{device_id}",
        ip=ip,
        detail={"command": command.id, "action": action.value},
    )
    append(db, entry, at=now)
    return command


def pending_commands(db: Session, device_id: str) -> list[DeviceCommand]:
    """The device's commands not yet acknowledged, oldest first."""
    query = (
        select(DeviceCommand)
        .where(DeviceCommand.device_id == device_id, DeviceCommand.acked_at.is_(None))
        .order_by(DeviceCommand.requested_at, DeviceCommand.id)
    )
    return list(db.scalars(query))


def recent_commands(db: Session, device_id: str, limit: int = 20) -> list[DeviceCommand]:
    """The device's latest commands, newest first (for its page)."""
    query = (
        select(DeviceCommand)
        .where(DeviceCommand.device_id == device_id)
        .order_by(DeviceCommand.requested_at.desc(), DeviceCommand.id)
        .limit(limit)
    )
    return list(db.scalars(query))


def acknowledge(
    db: Session, device_id: str, command_id: str, result: str, detail: str, *, now: datetime, ip: str = ""
) -> DeviceCommand:
    """Record the device's answer to one of its commands (audited). NotFoundError for a command of
    another device or none; RuleViolationError when it was already acknowledged differently."""
    command = db.get(DeviceCommand, command_id)
    if command is None or command.device_id != device_id:
        raise NotFoundError(f"设备 {device_id} 没有编号为 {command_id} 的指令")
    if result not in RESULTS:
        raise RuleViolationError(f"result 只能是 done 或 refused（收到 {result!r}）")
    if command.acked_at is not None:
        if command.result == result:
            return command  # the same answer again (a retried request): nothing changes
        raise RuleViolationError(f"指令 {command_id} 已回复为 {command.result}")
    command.acked_at, command.result, command.detail = now, result, detail[:500]
    entry = AuditEntry(
        f"device:{device_id}",
        AuditAction.DEVICE_COMMAND_ACKED,
        f"device:{device_id}",
        outcome=result,
        ip=ip,
        detail={"command": command_id, "action": command.action.value, "detail": detail[:300]},
    )
    append(db, entry, at=now)
    return command


def registered_device(db: Session, device_id: str) -> FleetDevice:
    """The registered device ``device_id`` (for the agent API); NotFoundError with what to do."""
    device = db.get(FleetDevice, device_id)
    if device is None:
        raise NotFoundError(f"设备 {device_id} 未在门户登记：请管理员先为它生成登记码")
    return device
