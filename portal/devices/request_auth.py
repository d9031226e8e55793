"""Who is calling: a device's fleet request is accepted only when signed with its enrolled key.

The shared agent token lets any agent of the installation call the API, so it cannot say which
device speaks. Each device signs its request (:mod:`archive.formats.device_request`) with the key it
enrolled with a one-time code; the portal checks that signature against the device's approved key,
the timestamp against its own clock (a short window), and the nonce against those it has seen in the
window (a replay is refused). An unregistered or unenrolled device, a revoked key, another device's
key, an edited body, a stale timestamp or a replay is refused (403) and the refusal audited by the
caller (:func:`audit_request_refusal`, outside the refused transaction).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from archive.formats.device_request import RequestSignature, request_message
from archive.journal.signing.device_key import verify_signature
from portal.audit.trail import AuditAction, AuditEntry, append
from portal.errors import PermissionDeniedError
from portal.models import DeviceKey, DeviceRequestNonce, FleetDevice, KeyStatus


class DeviceRequestRefusedError(PermissionDeniedError):
    """The request is not signed by the device it names (answered 403); ``reason`` names why."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def authenticate_device_request(
    db: Session,
    device_id: str,
    signed: RequestSignature,
    *,
    method: str,
    path: str,
    query: str,
    body: bytes,
    now: datetime,
    window: timedelta,
) -> FleetDevice:
    """The device ``device_id`` when ``signed`` is its valid signature of this request; its nonce
    is then spent. Raises DeviceRequestRefusedError naming what was wrong."""
    if signed.device_id != device_id:
        raise DeviceRequestRefusedError(
            f"请求签名属于设备 {signed.device_id}，不是 {device_id}", "other_device"
        )
    device = db.get(FleetDevice, device_id)
    if device is None:
        raise DeviceRequestRefusedError(
            f"设备 {device_id} 未在门户登记：请管理员先为它生成登记码", "unregistered"
        )
    if device.public_key is None:
        raise DeviceRequestRefusedError(f"设备 {device_id} 尚未用登记码登记其密钥", "not_enrolled")
    key = db.get(DeviceKey, device.public_key)
    if key is None or key.status is not KeyStatus.APPROVED or key.device_id != device_id:
        revoked = key is not None and key.status is KeyStatus.REVOKED
        reason = "key_revoked" if revoked else "key_not_approved"
        raise DeviceRequestRefusedError(f"设备 {device_id} 的密钥已被吊销或未获批准", reason)
    sent_at = datetime.fromtimestamp(signed.timestamp_ms / 1000, tz=now.tzinfo)
    if abs(sent_at - now) > window:
        raise DeviceRequestRefusedError(
            f"请求时间 {sent_at.isoformat()} 与门户时间 {now.isoformat()} 相差超过"
            f" {int(window.total_seconds())} 秒：请校准设备时钟",
            "stale_timestamp",
        )
    message = request_message(
        method=method,
        path=path,
        query=query,
        body=body,
        device_id=device_id,
        timestamp_ms=signed.timestamp_ms,
        nonce=signed.nonce,
    )
    if not verify_signature(key.public_key, message, signed.signature):
        raise DeviceRequestRefusedError(
            "请求签名无效：不是该设备登记的密钥所签，或请求已被改动", "bad_signature"
        )
    _spend_nonce(db, device_id, signed.nonce, expires_at=sent_at + window, now=now)
    return device


def _spend_nonce(db: Session, device_id: str, nonce: str, *, expires_at: datetime, now: datetime) -> None:
    """Remember ``nonce`` until ``expires_at``; DeviceRequestRefusedError when it was used already.
    Nonces past their window are forgotten here (a request that old is refused for its timestamp)."""
    db.execute(
        delete(DeviceRequestNonce).where(
            DeviceRequestNonce.device_id == device_id, DeviceRequestNonce.expires_at < now
        )
    )
    seen = db.scalar(
        select(DeviceRequestNonce.nonce).where(
            DeviceRequestNonce.device_id == device_id, DeviceRequestNonce.nonce == nonce
        )
    )
    if seen is not None:
        raise DeviceRequestRefusedError("该请求已被接收过一次，重放的请求不予接受", "replayed")
    db.add(DeviceRequestNonce(device_id=device_id, nonce=nonce, expires_at=expires_at))
    db.flush()  # two copies racing in parallel: the primary key refuses the second at commit


def audit_request_refusal(
    db: Session, device_id: str, reason: str, path: str, *, now: datetime, ip: str = ""
) -> None:
    """Write a refused device request to the audit log (in its own transaction)."""
    entry = AuditEntry(
        f"device:{device_id}"[:200],
        AuditAction.DEVICE_REQUEST_REFUSED,
        f"device:{device_id}"[:200],
        outcome="refused",
        ip=ip,
        detail={"reason": reason, "path": path[:200]},
    )
    append(db, entry, at=now)
