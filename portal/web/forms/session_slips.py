"""Slips: a secret shown once after the POST that made it (an access password, a device's enrolment
code). The POST redirects (303) to its slip, so reloading never makes a second secret.

A slip is kept in the database (``secret_slips``), so any portal process behind one address can
show it: its row is found by a hash of the slip's URL token and its content is encrypted (AES-GCM)
with a key derived from that token, bound to its kind and to the session that made it. The database
alone therefore reveals no secret. A slip is shown once: when its session reads it, its content is
deleted and a tombstone stays (so a reload can say "already shown"), and rows are deleted once they
are past ``SLIP_LIFETIME``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
from datetime import datetime, timedelta
from typing import Any, Final, Generic, Literal, Protocol, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from portal.db import transaction
from portal.models import SecretSlip
from portal.web.templates import render

SLIP_LIFETIME = timedelta(minutes=10)
MAX_SLIP_BYTES = 4096
SHOWN: Final = "shown"
"""What :meth:`SessionSlips.take` answers for a slip its session has already seen."""


class Slip(Protocol):
    """What every slip says: when it was issued."""

    @property
    def issued_at(self) -> datetime: ...


SlipT = TypeVar("SlipT", bound=Slip)


class SessionSlips(Generic[SlipT]):
    """Slips of one ``kind`` (a frozen dataclass ``slip_type`` of text, numbers, flags and times)."""

    def __init__(self, kind: str, slip_type: type[SlipT], lifetime: timedelta = SLIP_LIFETIME) -> None:
        self._kind = kind
        self._type = slip_type
        self._lifetime = lifetime
        self._times = {f.name for f in dataclasses.fields(slip_type) if f.type in ("datetime", datetime)}  # type: ignore[arg-type]

    def keep(self, sessions: sessionmaker[Session], session: str, slip: SlipT, *, now: datetime) -> str:
        """Store ``slip`` for ``session`` (dropping expired slips); returns its id (for the redirect)."""
        slip_id = secrets.token_urlsafe(16)
        values = {
            name: value.isoformat() if name in self._times else value
            for name, value in dataclasses.asdict(slip).items()  # type: ignore[call-overload]
        }
        plain = json.dumps(values, ensure_ascii=False).encode()
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(_key(slip_id)).encrypt(nonce, plain, self._bound_to(session))
        if len(sealed) > MAX_SLIP_BYTES:
            raise ValueError(f"a {self._kind} slip is limited to {MAX_SLIP_BYTES} bytes")
        with transaction(sessions) as db:
            db.execute(delete(SecretSlip).where(SecretSlip.expires_at < now))
            db.add(
                SecretSlip(
                    id=_row_id(slip_id),
                    kind=self._kind,
                    session_hash=session,
                    nonce=nonce,
                    ciphertext=sealed,
                    expires_at=now + self._lifetime,
                )
            )
        return slip_id

    def take(
        self, sessions: sessionmaker[Session], slip_id: str, session: str, now: datetime
    ) -> SlipT | Literal["shown"] | None:
        """The slip ``slip_id`` if ``session`` made it and it has not expired, its content deleted as
        it is read (shown once); ``SHOWN`` when that session has already seen it; None otherwise
        (unknown, expired, tampered, or another session's — which stays for its own)."""
        if not 8 <= len(slip_id) <= 64:
            return None
        with transaction(sessions) as db:
            row = db.get(SecretSlip, _row_id(slip_id))
            if row is None or row.kind != self._kind or not secrets.compare_digest(row.session_hash, session):
                return None
            if row.expires_at <= now:
                db.delete(row)
                return None
            if not row.ciphertext:
                return SHOWN
            sealed, nonce = row.ciphertext, row.nonce
            row.ciphertext, row.nonce = b"", b""  # shown once: the secret is gone from the database
        try:
            plain = AESGCM(_key(slip_id)).decrypt(nonce, sealed, self._bound_to(session))
        except InvalidTag:
            return None
        values: dict[str, Any] = json.loads(plain)
        for name in self._times:
            values[name] = datetime.fromisoformat(values[name])
        return self._type(**values)

    def _bound_to(self, session: str) -> bytes:
        return f"{self._kind}:{session}".encode()


def _row_id(slip_id: str) -> str:
    return hashlib.sha256(f"courtrec-slip-id:{slip_id}".encode()).hexdigest()


def _key(slip_id: str) -> bytes:
    return hashlib.sha256(f"courtrec-slip-key:{slip_id}".encode()).digest()


def shown_once_page(request: Request, message: str) -> HTMLResponse:
    """What a reload of a slip its session has already seen answers: 410, saying so (not a denial,
    so not audited as one)."""
    values = {"title": "已经显示过", "message": message, "status": 410}
    return render(request, "error.html", values, status=410, headers={"Cache-Control": "no-store"})
