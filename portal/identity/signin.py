"""Signing in: staff by username and password, parties by case number and access password.

Every checked attempt takes the same path whether or not the account exists (a dummy Argon2
verification when it does not), is audited, and fails with the same message for unknown and existing
accounts. Throttling (see ``throttle``) is per (account, address) pair, per address and, only for
failures from many addresses, per account; a throttled attempt is refused before its password is
checked, counts nowhere, and is told how long to wait.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.audit.trail import AuditAction, AuditEntry, append
from portal.case_number import canonical_case_number, stored_spellings
from portal.identity import throttle
from portal.identity.passwords import MAX_PASSWORD_LENGTH, verify_password
from portal.identity.sessions import start_session
from portal.models import Case, Party, User

PARTY_CHECKS = 3
GENERIC_FAILURE = "登录失败：账号或密码错误。"


@dataclass(frozen=True, slots=True)
class SignInAttempt:
    """One sign-in attempt: the account identifier (username or case number) and the secret."""

    identifier: str
    password: str
    ip: str
    previous_token: str | None = None


@dataclass(frozen=True, slots=True)
class SignInResult:
    """The new session token when the attempt succeeded; else None and the message to show (Chinese;
    the same for unknown and existing accounts)."""

    token: str | None
    message: str = GENERIC_FAILURE

    @property
    def ok(self) -> bool:
        return self.token is not None


def sign_in_staff(db: Session, attempt: SignInAttempt, *, now: datetime) -> SignInResult:
    """Check a staff member's password; on success start a new session (rotating any old one).

    A throttled attempt is refused before anything is looked up or checked, and counts nowhere.
    """
    refusal = throttle.check(db, attempt.identifier, attempt.ip, now=now)
    if refusal is not None:
        return _refuse(db, attempt, now, refusal)
    user = db.scalar(select(User).where(User.username == attempt.identifier.strip()))
    matched = verify_password(user.password_hash if user else None, attempt.password[:MAX_PASSWORD_LENGTH])
    if not matched or user is None or user.disabled:
        return _fail(db, attempt, now)
    throttle.record_success(db, attempt.identifier, attempt.ip)
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
    the audit log name the person). A throttled attempt is refused unchecked and counts nowhere.
    The case number may be typed in any spelling (``portal.case_number``): every spelling is the same
    case, and the same account for throttling.
    """
    attempt = replace(attempt, identifier=canonical_case_number(attempt.identifier))
    refusal = throttle.check(db, attempt.identifier, attempt.ip, now=now)
    if refusal is not None:
        return _refuse(db, attempt, now, refusal)
    case = db.scalar(
        select(Case).where(Case.number.in_(stored_spellings(attempt.identifier))).order_by(Case.id).limit(1)
    )
    parties = list(db.scalars(select(Party).where(Party.case_id == case.id))) if case else []
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
        return _fail(db, attempt, now)
    throttle.record_success(db, attempt.identifier, attempt.ip)
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


def refusal_message(refusal: throttle.Refusal, now: datetime) -> str:
    """What a refused caller is told (Chinese): what holds them back and how long to wait.

    Safe to say: a pair or address refusal follows only from the caller's own failures, and an
    account refusal is keyed the same whether or not the account exists.
    """
    wait = _duration(refusal.wait(now))
    if refusal.scope is throttle.Scope.PAIR_DELAY:
        return f"登录尝试过于频繁，请在{wait}后再试。"
    if refusal.scope is throttle.Scope.PAIR_LOCK:
        return f"失败次数过多，此账号已暂时禁止从您当前的网络地址登录，请在{wait}后再试。"
    if refusal.scope is throttle.Scope.ADDRESS:
        return f"您当前的网络地址登录失败次数过多，已被暂时限制，请在{wait}后再试。"
    return f"此账号近期有来自多个网络地址的失败登录，已被暂时锁定，请在{wait}后再试，或联系法院工作人员。"


def failure_message(failure: throttle.Failure, now: datetime) -> str:
    """What the caller is told after a checked failure (Chinese): the generic failure, and either the
    wait now imposed or how many attempts remain before a lock."""
    if failure.refusal is not None:
        return f"{GENERIC_FAILURE}{refusal_message(failure.refusal, now)}"
    return f"{GENERIC_FAILURE}还可尝试 {failure.remaining} 次，之后将被暂时锁定。"


def _duration(wait: timedelta) -> str:
    seconds = max(math.ceil(wait.total_seconds()), 1)
    if seconds < 120:
        return f" {seconds} 秒"
    return f" {math.ceil(seconds / 60)} 分钟"


def _refuse(db: Session, attempt: SignInAttempt, now: datetime, refusal: throttle.Refusal) -> SignInResult:
    _audit_failure(db, attempt, now, f"throttled: {refusal.scope.value}")
    return SignInResult(None, refusal_message(refusal, now))


def _fail(db: Session, attempt: SignInAttempt, now: datetime) -> SignInResult:
    failure = throttle.record_failure(db, attempt.identifier, attempt.ip, now=now)
    _audit_failure(db, attempt, now, "bad credentials")
    return SignInResult(None, failure_message(failure, now))


def _audit_failure(db: Session, attempt: SignInAttempt, now: datetime, reason: str) -> None:
    entry = AuditEntry(
        actor=f"anonymous:{attempt.identifier.strip()[:64]}",
        action=AuditAction.SIGN_IN_FAILED,
        target="session",
        outcome="denied",
        ip=attempt.ip,
        detail={"reason": reason},
    )
    append(db, entry, at=now)
