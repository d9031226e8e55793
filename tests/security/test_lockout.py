"""Lockout cannot be used as a weapon (issue 10, task 6).

Sign-in is driven directly (``portal.identity.signin``) on a migrated SQLite database with one
court, one clerk and one case with one party, so that the addresses and the clock are ours to steer.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from portal.cases.filing import CaseDraft, add_party, create_case
from portal.db import make_engine, make_sessionmaker, transaction
from portal.identity import throttle
from portal.identity.accounts import create_user, get_or_create_court
from portal.identity.actor import Actor
from portal.identity.signin import SignInAttempt, SignInResult, sign_in_party, sign_in_staff
from portal.migrate import upgrade
from portal.models import Role

CASE = "（2026）京0101民初7号"
CLERK_PASSWORD = "correct horse battery staple"
ATTACKER = "203.0.113.66"
PARTY_HOME = "198.51.100.7"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class Court:
    """The seeded database, the party's access password, and a steerable clock."""

    sessions: sessionmaker[Session]
    party_password: str
    now: datetime = START

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def party(self, password: str, ip: str, case: str = CASE) -> SignInResult:
        with transaction(self.sessions) as db:
            return sign_in_party(db, SignInAttempt(case, password, ip), now=self.now)

    def staff(self, username: str, password: str, ip: str) -> SignInResult:
        with transaction(self.sessions) as db:
            return sign_in_staff(db, SignInAttempt(username, password, ip), now=self.now)

    def refusal(self, identifier: str, ip: str) -> throttle.Refusal | None:
        with transaction(self.sessions) as db:
            return throttle.check(db, identifier, ip, now=self.now)

    def lock_pair(self, ip: str, username: str | None = None) -> None:
        """Fail from ``ip`` on the case (or the staff ``username``) until the pair is locked, waiting
        out each delay as a patient attacker would."""
        identifier = username or CASE
        for _ in range(throttle.PAIR_MAX_FAILURES):
            refusal = self.refusal(identifier, ip)
            if refusal is not None:
                self.now = refusal.until
            if username is None:
                assert not self.party("wrong-password", ip).ok
            else:
                assert not self.staff(username, "wrong-password", ip).ok
        refusal = self.refusal(identifier, ip)
        assert refusal is not None and refusal.scope is throttle.Scope.PAIR_LOCK


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("lockout") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with transaction(make_sessionmaker(engine)) as db:
        court = get_or_create_court(db, "court-a", "北京市第一法院")
        clerk = create_user(
            db,
            username="clerk-a",
            display_name="clerk-a",
            role=Role.CLERK,
            password=CLERK_PASSWORD,
            now=START,
            actor="test",
            court_id=court.id,
            office_phone="010-1234 5678",
        )
        actor = Actor(role=clerk.role, display_name="clerk-a", user_id=clerk.id, court_id=court.id)
        case = create_case(
            db, actor, CaseDraft(CASE, court.id, "甲诉乙", "合同纠纷", date(2026, 1, 5)), now=START
        )
        _, password = add_party(db, actor, case.id, "张三", "原告", now=START)
    engine.dispose()
    return path, password


@pytest.fixture
def court(seeded: tuple[Path, str], tmp_path: Path) -> Iterator[Court]:
    template, password = seeded
    copy = tmp_path / "portal.sqlite3"
    shutil.copyfile(template, copy)
    engine = make_engine(f"sqlite:///{copy}")
    yield Court(make_sessionmaker(engine), password)
    engine.dispose()


def test_an_attacker_address_cannot_keep_the_party_out(court: Court) -> None:
    court.lock_pair(ATTACKER)
    for _ in range(50):  # hammering on while locked out
        court.advance(seconds=5)
        assert not court.party("wrong-password", ATTACKER).ok
    assert court.party(court.party_password, PARTY_HOME).ok
    # ... and the same for a staff account (usernames are guessable too)
    court.lock_pair(ATTACKER, "clerk-a")
    assert court.staff("clerk-a", CLERK_PASSWORD, PARTY_HOME).ok


def test_the_locked_address_is_refused_even_with_the_right_password(court: Court) -> None:
    court.lock_pair(ATTACKER)
    refused = court.party(court.party_password, ATTACKER)
    assert not refused.ok and "分钟后再试" in refused.message


def test_a_refused_request_does_not_extend_the_lock(court: Court) -> None:
    court.lock_pair(ATTACKER)
    refusal = court.refusal(CASE, ATTACKER)
    assert refusal is not None
    lock_ends = refusal.until
    while court.now + timedelta(seconds=30) < lock_ends:
        court.advance(seconds=30)
        assert not court.party("wrong-password", ATTACKER).ok
        assert court.refusal(CASE, ATTACKER) == refusal  # neither longer nor counted
    court.now = lock_ends
    assert court.refusal(CASE, ATTACKER) is None
    assert court.party(court.party_password, ATTACKER).ok  # the lock ran out on time


def test_a_refused_request_does_not_count_towards_the_next_lock(court: Court) -> None:
    assert not court.party("wrong-password", ATTACKER).ok
    assert not court.party("wrong-password", ATTACKER).ok
    third = court.party("wrong-password", ATTACKER)
    assert "秒后再试" in third.message
    for _ in range(20):  # refused while the pair waits: not checked, not counted
        assert not court.party("wrong-password", ATTACKER).ok
    refusal = court.refusal(CASE, ATTACKER)
    assert refusal is not None and refusal.scope is throttle.Scope.PAIR_DELAY
    court.now = refusal.until
    fourth = court.party("wrong-password", ATTACKER)  # only the fourth failure, not the 24th
    refusal = court.refusal(CASE, ATTACKER)
    assert refusal is not None and refusal.scope is throttle.Scope.PAIR_DELAY, fourth.message


def test_progressive_delays_grow_before_the_hard_lock(court: Court) -> None:
    waits: list[timedelta] = []
    for _ in range(throttle.PAIR_MAX_FAILURES):
        result = court.party("wrong-password", ATTACKER)
        assert not result.ok
        refusal = court.refusal(CASE, ATTACKER)
        waits.append(refusal.wait(court.now) if refusal else timedelta(0))
        if refusal is not None:
            court.advance(seconds=refusal.wait(court.now).total_seconds() - 1)
            assert court.refusal(CASE, ATTACKER) == refusal  # a second early: still waiting
            court.now = refusal.until
    assert waits[: throttle.PAIR_FREE_FAILURES] == [timedelta(0)] * throttle.PAIR_FREE_FAILURES
    delays = waits[throttle.PAIR_FREE_FAILURES :]
    assert all(a < b for a, b in itertools.pairwise(delays)), waits
    assert waits[-1] == throttle.PAIR_LOCK


def test_address_spraying_across_many_accounts_is_limited(court: Court) -> None:
    for number in range(throttle.ADDRESS_MAX_FAILURES - 1):
        assert not court.staff(f"user-{number}", "Spring2026!", ATTACKER).ok
    last = court.staff("user-last", "Spring2026!", ATTACKER)
    assert "网络地址" in last.message
    refusal = court.refusal("clerk-a", ATTACKER)
    assert refusal is not None and refusal.scope is throttle.Scope.ADDRESS
    assert not court.staff("clerk-a", CLERK_PASSWORD, ATTACKER).ok
    assert court.staff("clerk-a", CLERK_PASSWORD, PARTY_HOME).ok  # other addresses are not held
    court.now = refusal.until
    assert court.staff("clerk-a", CLERK_PASSWORD, ATTACKER).ok


def test_an_ipv6_host_counts_as_its_whole_64_network(court: Court) -> None:
    for host in range(throttle.ADDRESS_MAX_FAILURES):
        court.staff(f"user-{host}", "Spring2026!", f"2001:db8:1:2::{host + 1:x}")
    refusal = court.refusal("clerk-a", "2001:db8:1:2:ffff::1")
    assert refusal is not None and refusal.scope is throttle.Scope.ADDRESS
    assert court.refusal("clerk-a", "2001:db8:1:3::1") is None
    assert throttle.address_of("::ffff:198.51.100.7") == PARTY_HOME


def test_only_many_distinct_addresses_lock_the_account_itself(court: Court) -> None:
    for host in range(throttle.ACCOUNT_MAX_ADDRESSES - 1):
        court.party("wrong-password", f"203.0.113.{host + 1}")
    assert court.refusal(CASE, PARTY_HOME) is None
    court.party("wrong-password", "203.0.113.200")
    refusal = court.refusal(CASE, PARTY_HOME)
    assert refusal is not None and refusal.scope is throttle.Scope.ACCOUNT
    refused = court.party(court.party_password, PARTY_HOME)
    assert not refused.ok and "联系法院工作人员" in refused.message
    court.now = refusal.until
    assert court.party(court.party_password, PARTY_HOME).ok


def test_messages_say_how_long_and_how_many_and_do_not_reveal_the_account(court: Court) -> None:
    unknown_case = "（2099）京9999民初9号"
    for attempt in range(throttle.PAIR_MAX_FAILURES):
        known = court.party("wrong-password", ATTACKER)
        unknown = court.party("wrong-password", ATTACKER, unknown_case)
        assert known.message == unknown.message
        if attempt < throttle.PAIR_FREE_FAILURES:
            assert f"还可尝试 {throttle.PAIR_MAX_FAILURES - attempt - 1} 次" in known.message
        refusal = court.refusal(CASE, ATTACKER)
        if attempt == throttle.PAIR_MAX_FAILURES - 1:
            assert "请在 10 分钟后再试" in known.message
        elif refusal is not None:
            assert f"请在 {int(refusal.wait(court.now).total_seconds())} 秒后再试" in known.message
            court.now = refusal.until
