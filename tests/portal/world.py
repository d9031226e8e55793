"""The test world: two courts, their staff, two cases with parties, recordings and a published notice.

Seeded once per session into a template database (Argon2 hashing is deliberately slow); each test
gets a copy. Case A (court A) has parties 张三 and 李四 and the real recording ``rec-a1``; case B
(court B) has party 王五 and an indexed recording ``rec-b1``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from archive.export import RecordingSummary
from portal.cases.filing import CaseDraft, add_case_event, add_party, create_case
from portal.hearings.notices import HearingDraft, publish_notice, schedule_hearing
from portal.identity.accounts import create_user, get_or_create_court, get_or_create_courtroom
from portal.identity.actor import Actor
from portal.models import ProcedureKind, Recording, Role, User, Verification
from portal.records.recordings_index import apply_summary

STAFF_PASSWORD = "correct horse battery staple"
CASE_A = "（2026）京0101民初1号"
CASE_B = "（2026）京0102民初2号"
REC_A = "rec-a1"
REC_B = "rec-b1"


@dataclass(frozen=True)
class World:
    """Ids and secrets the tests use."""

    court_a: int
    court_b: int
    room_a: int
    room_b: int
    case_a: int
    case_b: int
    party_a: int
    party_a2: int
    party_b: int
    password_a: str
    password_a2: str
    password_b: str
    hearing_a: int
    notice_a: int
    users: dict[str, int]

    def dump(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def load(cls, text: str) -> World:
        return cls(**json.loads(text))


def actor_of(user: User) -> Actor:
    return Actor(role=user.role, display_name=user.display_name, user_id=user.id, court_id=user.court_id)


def _user(db: Session, name: str, role: Role, court_id: int | None, now: datetime) -> User:
    return create_user(
        db,
        username=name,
        display_name=name,
        role=role,
        password=STAFF_PASSWORD,
        now=now,
        actor="test",
        court_id=court_id,
        office_phone="010-1234 5678",
    )


def seed_world(db: Session, *, now: datetime, recording_a: RecordingSummary | None) -> World:
    """Create the world at ``now``; ``recording_a`` is the real recording's bucket summary."""
    court_a = get_or_create_court(db, "court-a", "北京市第一法院")
    court_b = get_or_create_court(db, "court-b", "北京市第二法院")
    room_a = get_or_create_courtroom(db, court_a, "room-a", "第一法庭")
    room_b = get_or_create_courtroom(db, court_b, "room-b", "第二法庭")
    users = {
        "admin": _user(db, "admin", Role.ADMIN, None, now),
        "clerk-a": _user(db, "clerk-a", Role.CLERK, court_a.id, now),
        "judge-a": _user(db, "judge-a", Role.JUDGE, court_a.id, now),
        "operator-a": _user(db, "operator-a", Role.OPERATOR, court_a.id, now),
        "clerk-b": _user(db, "clerk-b", Role.CLERK, court_b.id, now),
    }
    clerk_a, clerk_b = actor_of(users["clerk-a"]), actor_of(users["clerk-b"])
    case_a = create_case(
        db,
        clerk_a,
        CaseDraft(
            CASE_A,
            court_a.id,
            "张三诉李四民间借贷纠纷",
            "民间借贷纠纷",
            date(2026, 1, 5),
            "审判长 judge-a",
            users["judge-a"].id,
            users["clerk-a"].id,
            "case-a",
        ),
        now=now,
    )
    case_b = create_case(
        db,
        clerk_b,
        CaseDraft(
            CASE_B, court_b.id, "王五诉赵六合同纠纷", "合同纠纷", date(2026, 1, 6), agent_code="case-b"
        ),
        now=now,
    )
    party_a, password_a = add_party(db, clerk_a, case_a.id, "张三", "原告", now=now)
    party_a2, password_a2 = add_party(db, clerk_a, case_a.id, "李四", "被告", now=now)
    party_b, password_b = add_party(db, clerk_b, case_b.id, "王五", "原告", now=now)
    add_case_event(
        db,
        clerk_a,
        case_a.id,
        kind=ProcedureKind.SERVICE,
        occurred_on=date(2026, 1, 8),
        description="起诉状副本已送达",
    )
    add_case_event(
        db,
        clerk_b,
        case_b.id,
        kind=ProcedureKind.PRESERVATION,
        occurred_on=date(2026, 1, 9),
        description="财产保全（乙案秘密）",
    )
    hearing_a = schedule_hearing(
        db,
        clerk_a,
        HearingDraft(case_a.id, room_a.id, now + timedelta(days=5), now + timedelta(days=5, hours=2), True),
        now=now,
    )
    notice_a = publish_notice(db, clerk_a, hearing_a.id, now=now)
    if recording_a is not None:
        apply_summary(db, recording_a, now=now, in_bucket=True)
    summary_b = RecordingSummary(
        REC_B, "court-b", "room-b", "case-b", ("cam",), 3, 6.0, now - timedelta(hours=1), now, True
    )
    apply_summary(db, summary_b, now=now, in_bucket=True)
    recording_b = db.get(Recording, REC_B)
    assert recording_b is not None
    recording_b.verification = Verification.INTACT
    return World(
        court_a=court_a.id,
        court_b=court_b.id,
        room_a=room_a.id,
        room_b=room_b.id,
        case_a=case_a.id,
        case_b=case_b.id,
        party_a=party_a.id,
        party_a2=party_a2.id,
        party_b=party_b.id,
        password_a=password_a,
        password_a2=password_a2,
        password_b=password_b,
        hearing_a=hearing_a.id,
        notice_a=notice_a.id,
        users={k: u.id for k, u in users.items()},
    )
