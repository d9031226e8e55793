"""Sign-in throttling that an attacker cannot turn against the account holder.

Three counters, kept as rows of ``login_throttles``; none of them counts a request that was refused
before its password was checked (a refused request neither adds a failure nor extends a wait):

- **pair** (account, address): the first ``PAIR_FREE_FAILURES`` failures cost nothing; after that
  each failure makes the pair wait ``2 ** failures`` seconds before its next attempt is even checked,
  and the ``PAIR_MAX_FAILURES``-th locks the pair for ``PAIR_LOCK``. One address failing on an
  account (case numbers are public) therefore locks only itself out: the party or the staff member
  still signs in from their own address.
- **address**: ``ADDRESS_MAX_FAILURES`` failures across all accounts within ``WINDOW`` lock the
  address for ``ADDRESS_LOCK`` (password spraying).
- **account**: only when ``ACCOUNT_MAX_ADDRESSES`` distinct addresses have failed on it within
  ``ACCOUNT_WINDOW`` is the account itself locked for ``ACCOUNT_LOCK`` (a distributed attack).

An IPv6 client counts by its /64 network (one host routinely holds a whole /64); an IPv4-mapped
address counts as the IPv4 address. Accounts are keyed by a digest of the case-folded identifier
whether or not it exists, so throttling reveals nothing about which usernames or case numbers exist.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.models import LoginThrottle

PAIR_FREE_FAILURES = 2
PAIR_MAX_FAILURES = 5
PAIR_LOCK = timedelta(minutes=10)
ADDRESS_MAX_FAILURES = 20
ADDRESS_LOCK = timedelta(minutes=10)
ACCOUNT_MAX_ADDRESSES = 10
ACCOUNT_WINDOW = timedelta(hours=1)
ACCOUNT_LOCK = timedelta(minutes=15)
WINDOW = timedelta(minutes=10)
_FORGET_AFTER = timedelta(days=1)


class Scope(StrEnum):
    """What holds a sign-in back."""

    PAIR_DELAY = "pair_delay"  # this address must wait a little before trying this account again
    PAIR_LOCK = "pair_lock"  # this address is locked out of this account
    ADDRESS = "address"  # this address is locked out of every account
    ACCOUNT = "account"  # the account is locked for everyone (failures from many addresses)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A sign-in that is refused without checking its password, and until when (UTC)."""

    scope: Scope
    until: datetime

    def wait(self, now: datetime) -> timedelta:
        """How long from ``now`` until an attempt will be checked again (never negative)."""
        return max(self.until - now, timedelta(0))


@dataclass(frozen=True, slots=True)
class Failure:
    """A counted failure: the attempts this address has left before it is locked out of the account
    (or out of every account, whichever comes first), and the refusal the next attempt meets, if any."""

    remaining: int
    refusal: Refusal | None


def address_of(ip: str) -> str:
    """The address a client is counted by: IPv4 as is, IPv6 as its /64 network, other text as is."""
    try:
        parsed = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ip.strip()[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def _account_digest(identifier: str) -> str:
    return hashlib.sha256(identifier.strip().casefold().encode()).hexdigest()[:32]


def _pair_key(identifier: str, ip: str) -> str:
    return f"pair:{_account_digest(identifier)}:{address_of(ip)}"[:200]


def _address_key(ip: str) -> str:
    return f"ip:{address_of(ip)}"[:200]


def _account_key(identifier: str) -> str:
    return f"account:{_account_digest(identifier)}"


def check(db: Session, identifier: str, ip: str, *, now: datetime) -> Refusal | None:
    """The refusal that holds back a sign-in to ``identifier`` from ``ip`` at ``now`` (the one that
    lasts longest), or None when the attempt may be checked. Changes nothing."""
    refusals: list[Refusal] = []
    pair = db.get(LoginThrottle, _pair_key(identifier, ip))
    if pair is not None and _held(pair, now):
        scope = Scope.PAIR_LOCK if pair.failures >= PAIR_MAX_FAILURES else Scope.PAIR_DELAY
        refusals.append(Refusal(scope, _until(pair)))
    for key, scope in ((_address_key(ip), Scope.ADDRESS), (_account_key(identifier), Scope.ACCOUNT)):
        state = db.get(LoginThrottle, key)
        if state is not None and _held(state, now):
            refusals.append(Refusal(scope, _until(state)))
    return max(refusals, key=lambda refusal: refusal.until, default=None)


def record_failure(db: Session, identifier: str, ip: str, *, now: datetime) -> Failure:
    """Count one checked, failed sign-in to ``identifier`` from ``ip``.

    Call it only for attempts whose password was checked (:func:`check` returned None).
    """
    _forget_old(db, now)
    pair = _current(db, _pair_key(identifier, ip), now, done=lambda s: s.failures >= PAIR_MAX_FAILURES)
    first_from_here = pair.failures == 0
    pair.failures += 1
    if pair.failures >= PAIR_MAX_FAILURES:
        pair.locked_until = now + PAIR_LOCK
    elif pair.failures > PAIR_FREE_FAILURES:
        pair.locked_until = now + timedelta(seconds=2**pair.failures)
    address = _current(db, _address_key(ip), now, done=lambda s: s.locked_until is not None)
    address.failures += 1
    if address.failures >= ADDRESS_MAX_FAILURES:
        address.locked_until = now + ADDRESS_LOCK
    db.flush()
    if first_from_here:
        _count_addresses(db, identifier, now)
    remaining = max(min(PAIR_MAX_FAILURES - pair.failures, ADDRESS_MAX_FAILURES - address.failures), 0)
    return Failure(remaining, check(db, identifier, ip, now=now))


def record_success(db: Session, identifier: str, ip: str) -> None:
    """Forget this address's failures on this account after it signed in (the address's count across
    accounts stays, so a sprayer cannot reset it with an account of its own)."""
    db.execute(delete(LoginThrottle).where(LoginThrottle.key == _pair_key(identifier, ip)))


def unlock_account(db: Session, identifier: str) -> None:
    """An administrator's unlock: forget every failure on this account, from every address."""
    pairs = LoginThrottle.key.startswith(f"pair:{_account_digest(identifier)}:")
    db.execute(delete(LoginThrottle).where(or_(LoginThrottle.key == _account_key(identifier), pairs)))


def _held(state: LoginThrottle, now: datetime) -> bool:
    return state.locked_until is not None and now < state.locked_until


def _until(state: LoginThrottle) -> datetime:
    assert state.locked_until is not None
    return state.locked_until


def _current(db: Session, key: str, now: datetime, *, done: Callable[[LoginThrottle], bool]) -> LoginThrottle:
    """The row of ``key``, started afresh when its window has passed or its lock (``done``) ran out."""
    state = _row(db, key, now)
    if now - state.window_started_at >= WINDOW or (done(state) and not _held(state, now)):
        state.failures, state.window_started_at, state.locked_until = 0, now, None
    return state


def _row(db: Session, key: str, now: datetime) -> LoginThrottle:
    """The row of ``key``, created when missing, and locked for this transaction (on PostgreSQL;
    SQLite writers are serialised already) so that concurrent failures all count."""
    state = db.get(LoginThrottle, key, with_for_update=True)
    if state is not None:
        return state
    try:
        with db.begin_nested():
            state = LoginThrottle(key=key, failures=0, window_started_at=now)
            db.add(state)
    except IntegrityError:  # a concurrent failure created it first
        state = db.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
        if state is None:
            raise
    return state


def _count_addresses(db: Session, identifier: str, now: datetime) -> None:
    """Lock the account when enough distinct addresses have failed on it within ACCOUNT_WINDOW."""
    addresses = db.scalar(
        select(func.count())
        .select_from(LoginThrottle)
        .where(
            LoginThrottle.key.startswith(f"pair:{_account_digest(identifier)}:"),
            LoginThrottle.window_started_at > now - ACCOUNT_WINDOW,
        )
    )
    if (addresses or 0) < ACCOUNT_MAX_ADDRESSES:
        return
    account = _row(db, _account_key(identifier), now)
    account.failures, account.window_started_at = addresses or 0, now
    account.locked_until = now + ACCOUNT_LOCK
    db.flush()


def _forget_old(db: Session, now: datetime) -> None:
    """Drop rows nobody has failed on for a day and that hold nothing back (keeps the table small)."""
    db.execute(
        delete(LoginThrottle).where(
            LoginThrottle.window_started_at < now - _FORGET_AFTER,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
        )
    )
