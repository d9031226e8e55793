"""Enrolment of a device with a one-time code (issue 15, item 4).

An administrator creates a code for a registered device: shown once, kept only as its SHA-256 (the
code carries 80 random bits, so a salted slow hash buys nothing, as for session tokens), valid for a
limited time and for one use. The device presents its id, its Ed25519 public key and the code; the
key is then approved in the trust registry (``registry``), so journals it signs verify, and
``archive verify --portal`` accepts them. A wrong, expired or used code is refused and the refusal
audited (by the caller, outside the refused transaction: :func:`audit_refusal`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.audit.trail import AuditAction, AuditEntry, append
from portal.devices.registry import note_key
from portal.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from portal.models import DeviceKey, EnrolmentCode, FleetDevice, KeyStatus

_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud and typed on a device
_GROUPS, _GROUP_LENGTH = 4, 4


class EnrolmentRefusedError(PermissionDeniedError):
    """The code is wrong, expired or already used (answered as 403); ``reason`` names which."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _normalised(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


def code_hash(code: str) -> str:
    """The stored form of an enrolment code: the hex SHA-256 of its letters and digits, upper case."""
    return hashlib.sha256(_normalised(code).encode("ascii", "replace")).hexdigest()


def create_code(
    db: Session, device_id: str, *, actor: str, now: datetime, lifetime: timedelta
) -> tuple[EnrolmentCode, str]:
    """A new one-time code for the registered ``device_id`` (audited; the code is returned once and
    never stored). Raises NotFoundError for an unregistered device."""
    if db.get(FleetDevice, device_id) is None:
        raise NotFoundError(f"设备 {device_id} 尚未登记")
    letters = "".join(secrets.choice(_ALPHABET) for _ in range(_GROUPS * _GROUP_LENGTH))
    code = "-".join(letters[i : i + _GROUP_LENGTH] for i in range(0, len(letters), _GROUP_LENGTH))
    row = EnrolmentCode(
        device_id=device_id,
        code_sha256=code_hash(code),
        created_by=actor,
        created_at=now,
        expires_at=now + lifetime,
    )
    db.add(row)
    db.flush()
    entry = AuditEntry(
        actor,
        AuditAction.ENROLMENT_CODE_CREATED,
        f"device:{device_id}",
        detail={"code_id": row.id, "expires_at": row.expires_at.isoformat()},
    )
    append(db, entry, at=now)
    return row, code


def check_public_key(public_key: str) -> str:
    """``public_key`` if it is a base64 Ed25519 public key (32 bytes); InvalidInputError otherwise."""
    try:
        raw = base64.b64decode(public_key, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInputError("public_key 不是 base64 编码的 Ed25519 公钥") from exc
    if len(raw) != 32:
        raise InvalidInputError(f"public_key 应为 32 字节的 Ed25519 公钥（收到 {len(raw)} 字节）")
    return public_key


def enrol(
    db: Session, device_id: str, public_key: str, code: str, *, now: datetime, ip: str = ""
) -> FleetDevice:
    """Enrol ``device_id`` with ``public_key`` if ``code`` is its unused, unexpired code: the code is
    spent, the key approved and recorded on the device (audited).

    Raises EnrolmentRefusedError (wrong code — also another device's —, expired, used; a key revoked
    or approved for another device) or InvalidInputError (not an Ed25519 public key).
    """
    check_public_key(public_key)
    row = db.scalar(select(EnrolmentCode).where(EnrolmentCode.code_sha256 == code_hash(code)))
    if row is None or row.device_id != device_id:
        raise EnrolmentRefusedError("登记码无效：请核对设备编号和登记码", "wrong_code")
    if row.used_at is not None:
        raise EnrolmentRefusedError("登记码已使用过，不能再次使用：请管理员重新生成", "reused_code")
    if row.expires_at <= now:
        raise EnrolmentRefusedError("登记码已过期：请管理员重新生成", "expired_code")
    key = db.get(DeviceKey, public_key)
    if key is not None and (key.status is KeyStatus.REVOKED or key.device_id != device_id):
        raise EnrolmentRefusedError("该公钥已被吊销或属于其他设备，不能登记", "key_not_usable")
    device = db.get_one(FleetDevice, device_id)
    row.used_at, row.used_key = now, public_key
    key = note_key(db, public_key, device_id, now=now)
    key.status, key.approved_at, key.approved_by = KeyStatus.APPROVED, now, f"enrolment-code:{row.id}"
    device.public_key, device.enrolled_at = public_key, now
    detail: dict[str, str | int] = {"key": public_key, "code_id": row.id, "approved_by": row.created_by}
    entry = AuditEntry(
        f"device:{device_id}", AuditAction.DEVICE_ENROLLED, f"device:{device_id}", ip=ip, detail=detail
    )
    append(db, entry, at=now)
    return device


def audit_refusal(db: Session, device_id: str, reason: str, *, now: datetime, ip: str = "") -> None:
    """Write a refused enrolment to the audit log (in its own transaction: the refused one rolled back)."""
    entry = AuditEntry(
        f"device:{device_id}"[:200],
        AuditAction.DEVICE_ENROLMENT_REFUSED,
        f"device:{device_id}"[:200],
        outcome="refused",
        ip=ip,
        detail={"reason": reason},
    )
    append(db, entry, at=now)
