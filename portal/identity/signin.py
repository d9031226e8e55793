"""Signing in: staff by username and password, parties by case number and access password.

Every attempt takes the same path whether or not the account exists (a dummy Argon2 verification
when it does not), is throttled per account and per address, is audited, and fails with one generic
message, so that nothing tells an attacker which accounts or case numbers exist or are locked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.audit.trail import AuditAction, AuditEntry, append
from portal.identity import throttle
from portal.identity.passwords import MAX_PASSWORD_LENGTH, verify_password
from portal.identity.sessions import start_session
from portal.models import Case, Party, User

PARTY_CHECKS = 3
GENERIC_FAILURE = "登录失败：账号或密码错误，或尝试次数过多已被暂时锁定，请稍后再试。"


@dataclass(frozen=True, slots=True)
class SignInAttempt:
    """One sign-in attempt: the account identifier (username or case number) and the secret."""

    identifier: str
    password: str
    ip: str
    previous_token: str | None = None


@dataclass(frozen=True, slots=True)
class SignInResult:
    """The new session token when the attempt succeeded, else None (show GENERIC_FAILURE)."""

    token: str | None

    @property
    def ok(self) -> bool:
        return self.token is not None


def sign_in_staff(db: Session, attempt: SignInAttempt, *, now: datetime) -> SignInResult:
    """Check a staff member's password; on success start a new session (rotating any old one)."""
    user = db.scalar(select(User).where(User.username == attempt.identifier.strip()))
    locked = _locked(db, attempt, now)
    matched = verify_password(user.password_hash if user else None, attempt.password[:MAX_PASSWORD_LENGTH])
    if locked or not matched or user is None or user.disabled:
        return _fail(db, attempt, now, "locked" if locked else "bad credentials")
    throttle.clear(db, throttle.account_key(attempt.identifier))
    token = start_session(db, now=now, ip=attempt.ip, user_id=user.id, previous_token=attempt.previous_token)
    append(
        db,
        AuditEntry(f"user:{user.id}:{user.display_name}", AuditAction.SIGN_IN, "session", ip=attempt.ip),
        at=now,
    )
    return SignInResult(token)


def sign_in_party(db: Session, attempt: SignInAttempt, *, now: datetime) -> SignInResult:
    """Check a case number and a party's access password; on success start a party session.

    The password picks out which party of the case signs in (each has its own, so the watermark and
    the audit log name the person).
    """
    case = db.scalar(select(Case).where(Case.number == attempt.identifier.strip()))
    parties = list(db.scalars(select(Party).where(Party.case_id == case.id))) if case else []
    locked = _locked(db, attempt, now)
    password = attempt.password[:MAX_PASSWORD_LENGTH]
    party, checked = None, 0
    for candidate in parties:
        checked += 1
        if verify_password(candidate.access_password_hash, password):
            party = candidate
            break
    if party is None:  # a failure costs the same for unknown cases and cases of up to 3 parties
        for _ in range(PARTY_CHECKS - checked):
            verify_password(None, password)
    if locked or party is None:
        return _fail(db, attempt, now, "locked" if locked else "bad credentials")
    throttle.clear(db, throttle.account_key(attempt.identifier))
    token = start_session(
        db, now=now, ip=attempt.ip, party_id=party.id, previous_token=attempt.previous_token
    )
    append(
        db,
        AuditEntry(
            f"party:{party.id}:{party.name}", AuditAction.SIGN_IN, f"case:{party.case_id}", ip=attempt.ip
        ),
        at=now,
    )
    return SignInResult(token)


def _locked(db: Session, attempt: SignInAttempt, now: datetime) -> bool:
    account = throttle.account_key(attempt.identifier)
    return throttle.is_locked(db, account, now=now) or throttle.is_locked(
        db, throttle.ip_key(attempt.ip), now=now
    )


def _fail(db: Session, attempt: SignInAttempt, now: datetime, reason: str) -> SignInResult:
    account = throttle.account_key(attempt.identifier)
    throttle.record_failure(db, account, now=now, limit=throttle.ACCOUNT_MAX_FAILURES)
    throttle.record_failure(db, throttle.ip_key(attempt.ip), now=now, limit=throttle.IP_MAX_FAILURES)
    entry = AuditEntry(
        actor=f"anonymous:{attempt.identifier.strip()[:64]}",
        action=AuditAction.SIGN_IN_FAILED,
        target="session",
        outcome="denied",
        ip=attempt.ip,
        detail={"reason": reason},
    )
    append(db, entry, at=now)
    return SignInResult(None)
